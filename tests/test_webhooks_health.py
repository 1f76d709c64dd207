"""Webhook delivery health (lag, last valid delivery, quiet periods) and secret rotation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry
from saas_inapp.webhooks import KlaviyoWebhookVerifier, VerificationResult, health
from saas_inapp.webhooks.klaviyo import klaviyo_signature

from tests.inapp_support import NOW, SECRET, WEBHOOK_ID, delivery_body, series, verifications

OLD_SECRET = "whsec-old-0b7e21"
NEW_SECRET = "whsec-new-93ac5d"


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def deliver(verifier, *, webhook_id=WEBHOOK_ID, sent_at=NOW, events=("evt-1",), secret=SECRET):
    body = delivery_body(events, sent_at=sent_at, webhook_id=webhook_id)
    timestamp = str(int(sent_at))
    headers = {
        "Klaviyo-Webhook-Id": webhook_id,
        "Klaviyo-Timestamp": timestamp,
        "Klaviyo-Signature": klaviyo_signature(secret, body, timestamp),
    }
    return verifier.verify(headers, body)


def lag(registry, webhook=WEBHOOK_ID) -> tuple[float, float]:
    labels = {"vendor": "klaviyo", "webhook": webhook}
    count = registry.get_sample_value("saas_webhook_delivery_lag_seconds_count", labels)
    total = registry.get_sample_value("saas_webhook_delivery_lag_seconds_sum", labels)
    return count or 0.0, total or 0.0


def gauge(registry, name, webhook=WEBHOOK_ID):
    return registry.get_sample_value(name, {"vendor": "klaviyo", "webhook": webhook})


def test_lag_is_recorded_for_every_authentic_delivery():
    registry, clock = CollectorRegistry(), Clock()
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock)

    results = [
        deliver(verifier, sent_at=NOW - 30, events=("a",)).result,
        deliver(verifier, sent_at=NOW - 30, events=("a",)).result,  # the same event again
        deliver(verifier, sent_at=NOW - 400, events=("b",)).result,  # past the 300 s tolerance
        deliver(verifier, sent_at=NOW + 5, events=("c",)).result,  # sender's clock ahead
        deliver(verifier, secret="forged", events=("d",)).result,
    ]

    assert results == [
        VerificationResult.VALID,
        VerificationResult.DUPLICATE,
        VerificationResult.STALE,
        VerificationResult.VALID,
        VerificationResult.INVALID_SIGNATURE,
    ]
    # The forged delivery is not counted; a clock ahead of ours counts as 0 s.
    assert lag(registry) == (4.0, 30 + 30 + 400 + 0)
    buckets = {
        dict(labels)["le"]: value
        for labels, value in series(registry, "saas_webhook_delivery_lag_seconds_bucket").items()
    }
    assert (buckets["1.0"], buckets["30.0"], buckets["300.0"], buckets["600.0"]) == (1, 3, 3, 4)


def test_the_last_valid_delivery_time_per_webhook():
    registry, clock = CollectorRegistry(), Clock()
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock)
    deliver(verifier, events=("a",))
    clock.now = NOW + 120
    deliver(verifier, events=("a",), sent_at=NOW + 120)  # duplicate: not a valid delivery
    deliver(verifier, webhook_id="01JOTHERHOOK000000000000000", sent_at=NOW + 120)

    assert series(registry, "saas_webhook_last_valid_delivery_timestamp_seconds") == {
        (("vendor", "klaviyo"), ("webhook", WEBHOOK_ID)): NOW,
        (("vendor", "klaviyo"), ("webhook", "01JOTHERHOOK000000000000000")): NOW + 120,
    }


def test_quiet_periods_default_per_webhook_and_declared_ones_exist_from_the_start():
    registry = CollectorRegistry()
    verifier = KlaviyoWebhookVerifier(
        SECRET,
        registry=registry,
        clock=Clock(),
        quiet_period_seconds=1800,
        quiet_periods={"01JDECLARED0000000000000000": 7200},
    )
    assert series(registry, "saas_webhook_quiet_period_seconds") == {
        (("vendor", "klaviyo"), ("webhook", "01JDECLARED0000000000000000")): 7200.0,
    }
    deliver(verifier)
    assert gauge(registry, "saas_webhook_quiet_period_seconds") == 1800.0


def test_webhook_ids_past_the_cap_share_one_series(monkeypatch):
    monkeypatch.setattr(health, "MAX_WEBHOOKS", 2)
    registry = CollectorRegistry()
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=Clock())
    for i, ident in enumerate(["wh-1", "wh-2", "wh-3", "wh-4"]):
        deliver(verifier, webhook_id=ident, events=(f"e{i}",))
    assert {
        dict(k)["webhook"] for k in series(registry, "saas_webhook_delivery_lag_seconds_count")
    } == {
        "wh-1",
        "wh-2",
        "other",
    }
    assert lag(registry, "other")[0] == 2.0
    assert gauge(registry, "saas_webhook_last_valid_delivery_timestamp_seconds", "other") is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"quiet_period_seconds": 0}, "quiet_period_seconds must be positive, got 0"),
        ({"quiet_periods": {"wh": -1}}, "quiet_periods['wh'] must be positive, got -1"),
        (
            {"previous_secret": OLD_SECRET},
            "previous_secret and previous_secret_valid_until go together",
        ),
        (
            {"previous_secret": OLD_SECRET, "previous_secret_valid_until": datetime(2026, 10, 1)},
            "previous_secret_valid_until: expected an aware datetime (UTC)",
        ),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        KlaviyoWebhookVerifier(NEW_SECRET, registry=CollectorRegistry(), **arguments)


def test_old_and_new_secrets_are_both_valid_during_the_overlap():
    registry, clock = CollectorRegistry(), Clock()
    until = datetime.fromtimestamp(NOW + 3600, UTC)
    verifier = KlaviyoWebhookVerifier(
        NEW_SECRET,
        previous_secret=OLD_SECRET,
        previous_secret_valid_until=until,
        registry=registry,
        clock=clock,
    )

    assert deliver(verifier, secret=NEW_SECRET, events=("a",)).accepted
    assert deliver(verifier, secret=OLD_SECRET, events=("b",)).accepted
    previous = {"vendor": "klaviyo"}
    assert registry.get_sample_value("saas_webhook_previous_secret_accepted_total", previous) == 1.0

    clock.now = NOW + 3600
    late = deliver(verifier, secret=OLD_SECRET, sent_at=clock.now, events=("c",))
    assert (late.result, late.reason) == (
        VerificationResult.INVALID_SIGNATURE,
        "header Klaviyo-Signature matches the previous signing secret, whose overlap ended "
        "at 2026-09-21T15:13:20Z",
    )
    assert deliver(verifier, secret=NEW_SECRET, sent_at=clock.now, events=("d",)).accepted
    assert verifications(registry)["valid"] == 3.0


def test_rotate_at_runtime_keeps_the_old_secret_for_the_overlap():
    registry, clock = CollectorRegistry(), Clock()
    verifier = KlaviyoWebhookVerifier(OLD_SECRET, registry=registry, clock=clock)
    verifier.rotate(NEW_SECRET, overlap_seconds=600)

    assert deliver(verifier, secret=NEW_SECRET, events=("a",)).accepted
    assert deliver(verifier, secret=OLD_SECRET, events=("b",)).accepted
    clock.now = NOW + 601
    refused = deliver(verifier, secret=OLD_SECRET, sent_at=clock.now, events=("c",))
    assert refused.result is VerificationResult.INVALID_SIGNATURE
    assert "whose overlap ended at 2026-09-21T14:23:20Z" in refused.reason
    # No secret appears in any reason or repr.
    for text in (refused.reason, repr(verifier)):
        assert OLD_SECRET not in text and NEW_SECRET not in text
