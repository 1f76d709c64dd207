"""Klaviyo webhook vectors: each outcome, its exact reason, and its count."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry
from saas_inapp.webhooks import (
    KlaviyoWebhookVerifier,
    ReplayWindow,
    VerificationResult,
)

from tests.inapp_support import (
    NOW,
    SECRET,
    delivery_body,
    iso,
    signed_headers,
    verifications,
)

ALL_ZERO = {
    "valid": 0.0,
    "invalid_signature": 0.0,
    "stale": 0.0,
    "duplicate": 0.0,
    "malformed": 0.0,
}


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(registry, clock) -> KlaviyoWebhookVerifier:
    return KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock)


def counted(**counts: float) -> dict[str, float]:
    return {**ALL_ZERO, **counts}


def test_every_result_exists_at_zero_before_the_first_delivery(registry, verifier):
    assert verifications(registry) == ALL_ZERO


def test_valid_delivery_is_accepted_with_its_events(registry, verifier):
    body = delivery_body(["evt-1", "evt-2"])
    outcome = verifier.verify(signed_headers(body), body)

    assert outcome.result is VerificationResult.VALID
    assert outcome.accepted
    assert outcome.reason == "verified"
    assert [event["external_id"] for event in outcome.events] == ["evt-1", "evt-2"]
    assert outcome.body == json.loads(body)
    assert verifications(registry) == counted(valid=1.0)


def test_header_names_are_case_insensitive_and_pairs_are_accepted(registry, verifier):
    body = delivery_body()
    pairs = [(name.lower(), value) for name, value in signed_headers(body).items()]
    assert verifier.verify(pairs, body).result is VerificationResult.VALID


def test_upper_case_hex_signature_is_the_same_signature(registry, verifier):
    body = delivery_body()
    headers = signed_headers(body)
    headers["Klaviyo-Signature"] = headers["Klaviyo-Signature"].upper()
    assert verifier.verify(headers, body).result is VerificationResult.VALID


INVALID_SIGNATURE = "header Klaviyo-Signature does not match the body and Klaviyo-Timestamp"


def test_tampered_body_is_an_invalid_signature(registry, verifier):
    body = delivery_body()
    headers = signed_headers(body)
    tampered = body.replace(b"evt-1", b"evt-9")

    outcome = verifier.verify(headers, tampered)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.INVALID_SIGNATURE,
        INVALID_SIGNATURE,
    )
    assert not outcome.accepted
    assert outcome.events == ()
    assert verifications(registry) == counted(invalid_signature=1.0)


def test_tampered_timestamp_header_is_an_invalid_signature(registry, verifier):
    body = delivery_body()
    headers = signed_headers(body)
    headers["Klaviyo-Timestamp"] = "1790000001"

    outcome = verifier.verify(headers, body)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.INVALID_SIGNATURE,
        INVALID_SIGNATURE,
    )


def test_wrong_secret_is_an_invalid_signature_and_the_secret_is_never_shown(registry, verifier):
    body = delivery_body()
    outcome = verifier.verify(signed_headers(body, secret="some-other-secret"), body)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.INVALID_SIGNATURE,
        INVALID_SIGNATURE,
    )
    assert SECRET not in repr(outcome)
    assert SECRET not in repr(verifier)
    assert verifications(registry) == counted(invalid_signature=1.0)


def test_webhook_id_header_must_match_the_body(registry, verifier):
    body = delivery_body(webhook_id="01JOTHERWEBHOOK00000000000")
    outcome = verifier.verify(signed_headers(body), body)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.INVALID_SIGNATURE,
        "header Klaviyo-Webhook-Id does not match body field meta.klaviyo_webhook_id",
    )
    assert verifications(registry) == counted(invalid_signature=1.0)


@pytest.mark.parametrize(
    ("sent_at", "reason"),
    [
        (NOW - 301, "body field meta.timestamp is 301 s old; tolerance is 300 s"),
        (NOW + 301, "body field meta.timestamp is 301 s in the future; tolerance is 300 s"),
    ],
)
def test_stale_delivery_is_rejected(registry, verifier, sent_at, reason):
    body = delivery_body(sent_at=sent_at)
    outcome = verifier.verify(signed_headers(body), body)

    assert (outcome.result, outcome.reason) == (VerificationResult.STALE, reason)
    assert verifications(registry) == counted(stale=1.0)


def test_delivery_at_the_edge_of_the_tolerance_is_fresh(registry, verifier):
    body = delivery_body(sent_at=NOW - 300)
    assert verifier.verify(signed_headers(body), body).result is VerificationResult.VALID


def test_tolerance_is_configurable(registry, clock):
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock, tolerance_seconds=60)
    body = delivery_body(sent_at=NOW - 61)
    outcome = verifier.verify(signed_headers(body), body)
    assert outcome.reason == "body field meta.timestamp is 61 s old; tolerance is 60 s"


def test_replayed_delivery_is_a_duplicate(registry, verifier, clock):
    body = delivery_body(["evt-1", "evt-2"])
    headers = signed_headers(body)
    verifier.verify(headers, body)
    clock.now += 120

    outcome = verifier.verify(headers, body)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.DUPLICATE,
        "all 2 event(s) of this delivery were accepted before",
    )
    assert outcome.events == ()
    assert verifications(registry) == counted(valid=1.0, duplicate=1.0)


def test_resigned_redelivery_of_seen_events_is_a_duplicate(registry, verifier):
    first = delivery_body(["evt-1"])
    verifier.verify(signed_headers(first), first)
    again = delivery_body(["evt-1"], sent_at=NOW - 5)

    outcome = verifier.verify(signed_headers(again, timestamp="1789999995"), again)

    assert outcome.result is VerificationResult.DUPLICATE


def test_partly_seen_delivery_yields_only_the_new_events(registry, verifier):
    first = delivery_body(["evt-1"])
    verifier.verify(signed_headers(first), first)
    mixed = delivery_body(["evt-1", "evt-2", "evt-2"])

    outcome = verifier.verify(signed_headers(mixed), mixed)

    assert outcome.result is VerificationResult.VALID
    assert [event["external_id"] for event in outcome.events] == ["evt-2"]


def test_empty_batch_is_deduplicated_by_its_signature(registry, verifier):
    body = delivery_body([])
    headers = signed_headers(body)
    assert verifier.verify(headers, body).result is VerificationResult.VALID
    outcome = verifier.verify(headers, body)
    assert (outcome.result, outcome.reason) == (
        VerificationResult.DUPLICATE,
        "this delivery was accepted before",
    )


def test_released_events_are_accepted_again(registry, verifier):
    body = delivery_body()
    headers = signed_headers(body)
    verifier.release(verifier.verify(headers, body))
    assert verifier.verify(headers, body).result is VerificationResult.VALID


def test_duplicate_window_forgets_after_its_ttl(registry, clock):
    window = ReplayWindow(ttl_seconds=600)
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock, replay_window=window)
    first = delivery_body(["evt-1"])
    verifier.verify(signed_headers(first), first)
    clock.now += 601
    later = delivery_body(["evt-1"], sent_at=clock.now)

    outcome = verifier.verify(signed_headers(later), later)

    assert outcome.result is VerificationResult.VALID
    assert len(window) == 1


def test_duplicate_window_is_bounded(registry, verifier):
    window = ReplayWindow(ttl_seconds=600, max_entries=3)
    assert window.claim(["a", "b", "c", "d"], now=0.0) == ["a", "b", "c", "d"]
    assert len(window) == 3
    # The oldest was dropped to make room, so it can be claimed again.
    assert window.claim(["a", "d"], now=1.0) == ["a"]


def test_forged_deliveries_do_not_fill_the_duplicate_window(registry, verifier):
    forged = delivery_body(["evt-1"])
    verifier.verify(signed_headers(forged, secret="attacker"), forged)
    assert len(verifier.replay_window) == 0
    assert verifier.verify(signed_headers(forged), forged).result is VerificationResult.VALID


@pytest.mark.parametrize(
    "missing", ["Klaviyo-Webhook-Id", "Klaviyo-Timestamp", "Klaviyo-Signature"]
)
def test_missing_header_is_malformed(registry, verifier, missing):
    body = delivery_body()
    headers = signed_headers(body)
    del headers[missing]

    outcome = verifier.verify(headers, body)

    assert (outcome.result, outcome.reason) == (
        VerificationResult.MALFORMED,
        f"missing header {missing}",
    )
    assert verifications(registry) == counted(malformed=1.0)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            {"Klaviyo-Signature": "sha256=abc"},
            "header Klaviyo-Signature: expected 64 hex characters",
        ),
        ({"Klaviyo-Signature": "a" * 63}, "header Klaviyo-Signature: expected 64 hex characters"),
        ({"Klaviyo-Timestamp": "  "}, "header Klaviyo-Timestamp is empty"),
        ({"Klaviyo-Timestamp": "17900000\u00e9"}, "header Klaviyo-Timestamp: expected ASCII text"),
    ],
)
def test_malformed_header_value(registry, verifier, edit, reason):
    body = delivery_body()
    outcome = verifier.verify({**signed_headers(body), **edit}, body)
    assert (outcome.result, outcome.reason) == (VerificationResult.MALFORMED, reason)


def test_repeated_signature_header_is_malformed(registry, verifier):
    body = delivery_body()
    pairs = [*signed_headers(body).items(), ("klaviyo-signature", "0" * 64)]
    outcome = verifier.verify(pairs, body)
    assert outcome.reason == "header Klaviyo-Signature appears 2 times; expected once"


def document(**changes: object) -> bytes:
    base = json.loads(delivery_body())
    for path, value in changes.items():
        target = base
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[int(parent)] if isinstance(target, list) else target[parent]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return json.dumps(base).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "body: expected JSON"),
        (b"\xff\xfe\x00garbage", "body: expected JSON"),
        (b"[1, 2]", "body: expected a JSON object"),
        (document(data=None), "body field data: expected an array"),
        (document(data={"external_id": "x"}), "body field data: expected an array"),
        (document(data=["x"]), "body field data[0]: expected an object"),
        (
            document(data__0__external_id=None),
            "body field data[0].external_id: expected a non-empty string",
        ),
        (
            document(data__0__external_id=7),
            "body field data[0].external_id: expected a non-empty string",
        ),
        (document(meta=None), "body field meta: expected an object"),
        (
            document(meta__klaviyo_webhook_id=None),
            "body field meta.klaviyo_webhook_id: expected a non-empty string",
        ),
        (document(meta__timestamp=None), "body field meta.timestamp: expected a non-empty string"),
        (
            document(meta__timestamp="yesterday"),
            "body field meta.timestamp: expected ISO 8601 with a UTC offset",
        ),
        (
            document(meta__timestamp="2026-09-21T13:33:20"),
            "body field meta.timestamp: expected ISO 8601 with a UTC offset",
        ),
    ],
)
def test_signed_but_malformed_body(registry, verifier, body, reason):
    outcome = verifier.verify(signed_headers(body), body)

    assert (outcome.result, outcome.reason) == (VerificationResult.MALFORMED, reason)
    assert verifications(registry) == counted(malformed=1.0)


def test_unsigned_non_json_body_is_an_invalid_signature_not_parsed(registry, verifier):
    body = b"not json at all"
    headers = signed_headers(delivery_body())
    assert verifier.verify(headers, body).result is VerificationResult.INVALID_SIGNATURE


def test_z_suffix_timestamps_are_accepted(registry, verifier):
    body = document(meta__timestamp=iso(NOW).replace("+00:00", "Z"))
    assert verifier.verify(signed_headers(body), body).result is VerificationResult.VALID


def test_every_vector_counted_exactly_once(registry, verifier, clock):
    valid = delivery_body(["evt-1"])
    verifier.verify(signed_headers(valid), valid)  # valid
    verifier.verify(signed_headers(valid), valid)  # duplicate
    verifier.verify(signed_headers(valid), valid.replace(b"evt-1", b"evt-2"))  # tampered
    verifier.verify(signed_headers(valid, secret="wrong"), valid)  # wrong secret
    stale = delivery_body(["evt-3"], sent_at=NOW - 3600)
    verifier.verify(signed_headers(stale), stale)  # stale
    verifier.verify({}, valid)  # missing headers
    verifier.verify(signed_headers(b"{"), b"{")  # non-JSON
    mismatch = delivery_body(["evt-4"], webhook_id="01JOTHER")
    verifier.verify(signed_headers(mismatch), mismatch)  # webhook id mismatch

    assert verifications(registry) == {
        "valid": 1.0,
        "duplicate": 1.0,
        "invalid_signature": 3.0,
        "stale": 1.0,
        "malformed": 2.0,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"secret": ""}, "the webhook secret must not be empty"),
        ({"secret": SECRET, "tolerance_seconds": 0}, "tolerance_seconds must be positive, got 0"),
    ],
)
def test_bad_configuration_is_refused(registry, arguments, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        KlaviyoWebhookVerifier(registry=registry, **arguments)


def test_verifiers_share_a_registry(registry, clock):
    first = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock)
    second = KlaviyoWebhookVerifier("another-secret", registry=registry, clock=clock, vendor="clay")
    body = delivery_body()
    first.verify(signed_headers(body), body)
    second.verify(signed_headers(body), body)
    assert verifications(registry, "klaviyo") == counted(valid=1.0)
    assert verifications(registry, "clay") == counted(invalid_signature=1.0)


def test_a_replay_after_its_id_was_dropped_early_is_refused_not_accepted(registry, clock):
    # A full window drops the oldest ids early; a replay of a dropped event inside the
    # tolerance must not pass as new.
    window = ReplayWindow(ttl_seconds=600, max_entries=3)
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=clock, replay_window=window)
    first = delivery_body(["evt-0"], sent_at=clock.now - 10)
    assert verifier.verify(signed_headers(first), first).accepted
    flood = delivery_body([f"evt-{i}" for i in range(1, 4)], sent_at=clock.now - 5)
    assert verifier.verify(signed_headers(flood), flood).accepted
    assert window.forgotten_until == clock.now - 10

    outcome = verifier.verify(signed_headers(first), first)

    assert outcome.result is VerificationResult.STALE
    assert outcome.reason == (
        "body field meta.timestamp is not after the newest delivery the duplicate window "
        "had to forget (it is full); a replay could not be told apart"
    )
    # New deliveries still pass.
    fresh = delivery_body(["evt-new"], sent_at=clock.now)
    assert verifier.verify(signed_headers(fresh), fresh).accepted
