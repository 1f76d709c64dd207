"""Verification of Klaviyo system webhooks, every outcome counted.

Checks, in this order, and the first failure decides the result:
1. the three headers are present once each and well-formed      -> malformed
2. Klaviyo-Signature = hex HMAC-SHA256(secret, body + timestamp)  -> invalid_signature
   (the previous secret too, until its overlap ends: secrets.py)
3. the body is the documented JSON shape                          -> malformed
4. meta.klaviyo_webhook_id equals the Klaviyo-Webhook-Id header   -> invalid_signature
5. meta.timestamp within `tolerance_seconds` of now (either side) -> stale
   and after every id the duplicate window had to drop early          -> stale
6. some event (data[].external_id) not accepted before            -> duplicate
Authentication comes before parsing, so unauthenticated input is never parsed,
and events are remembered only once everything else has passed, so forged
deliveries cannot fill the duplicate window. The body is read with bounded nesting and
numbers (saas_exporter.bounded_json), so no signed body can make verify() raise.
Once a delivery is authentic (after 4), its lag and, when valid, its time are recorded
per webhook id (health.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry

from saas_exporter import bounded_json
from saas_inapp.metrics import inapp_metrics
from saas_inapp.webhooks.health import DEFAULT_QUIET_PERIOD_SECONDS, DeliveryHealth
from saas_inapp.webhooks.outcome import VerificationOutcome, VerificationResult
from saas_inapp.webhooks.replay import ReplayWindow
from saas_inapp.webhooks.secrets import SigningSecrets, iso

WEBHOOK_ID_HEADER = "Klaviyo-Webhook-Id"
TIMESTAMP_HEADER = "Klaviyo-Timestamp"
SIGNATURE_HEADER = "Klaviyo-Signature"
DEFAULT_TOLERANCE_SECONDS = 300.0

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def klaviyo_signature(secret: str | bytes, body: bytes, timestamp: str) -> str:
    """The Klaviyo-Signature of a delivery: hex HMAC-SHA256(secret, body + timestamp)."""
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, body + timestamp.encode("ascii"), hashlib.sha256).hexdigest()


class _Rejected(Exception):
    def __init__(self, result: VerificationResult, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


def _malformed(reason: str) -> _Rejected:
    return _Rejected(VerificationResult.MALFORMED, reason)


class KlaviyoWebhookVerifier:
    """Verifies deliveries for one webhook secret (two during a rotation); thread-safe.

    `clock` returns Unix seconds (default time.time). The duplicate window keeps
    event ids for twice the tolerance by default: long enough that a replay is
    either caught as a duplicate or too old to pass the freshness check.

    Rotation: `previous_secret` stays valid until `previous_secret_valid_until` (Unix
    time or an aware datetime), or call `rotate(new_secret, overlap_seconds)`.
    Delivery health: each webhook may stay quiet `quiet_period_seconds` (per webhook id
    in `quiet_periods`, whose webhooks are exported from the start) before the rule
    pack's quiet alert fires.
    """

    def __init__(
        self,
        secret: str | bytes,
        *,
        previous_secret: str | bytes | None = None,
        previous_secret_valid_until: float | datetime | None = None,
        tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
        replay_window: ReplayWindow | None = None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.time,
        vendor: str = "klaviyo",
        quiet_period_seconds: float = DEFAULT_QUIET_PERIOD_SECONDS,
        quiet_periods: Mapping[str, float] | None = None,
    ) -> None:
        if tolerance_seconds <= 0:
            raise ValueError(f"tolerance_seconds must be positive, got {tolerance_seconds}")
        self._secrets = SigningSecrets(secret, previous_secret, previous_secret_valid_until)
        self.tolerance_seconds = tolerance_seconds
        if replay_window is None:
            replay_window = ReplayWindow(ttl_seconds=2 * tolerance_seconds)
        self.replay_window = replay_window
        self._clock = clock
        self._vendor = vendor
        metrics = inapp_metrics(registry)
        self._counter = metrics.webhook_verifications
        # Every result exists at 0 from the start, so increase() sees the first rejection.
        for result in VerificationResult:
            self._counter.labels(vendor=vendor, result=result.value)
        self._previous_accepted = metrics.webhook_previous_secret.labels(vendor=vendor)
        self._health = DeliveryHealth(metrics, vendor, quiet_period_seconds, quiet_periods)

    def rotate(self, new_secret: str | bytes, overlap_seconds: float) -> None:
        """Makes `new_secret` current; the current secret stays valid `overlap_seconds`."""
        self._secrets.rotate(new_secret, overlap_seconds, self._clock())

    def __repr__(self) -> str:
        return f"KlaviyoWebhookVerifier(vendor={self._vendor!r}, secret=<redacted>)"

    def verify(self, headers: Headers, body: bytes) -> VerificationOutcome:
        """Checks one delivery: `headers` as received, `body` the raw bytes."""
        try:
            outcome = self._verify(headers, body)
        except _Rejected as rejected:
            outcome = VerificationOutcome(rejected.result, rejected.reason)
        except Exception as err:  # last line of defence: counted and answered, never a 500
            outcome = VerificationOutcome(
                VerificationResult.MALFORMED, f"delivery could not be read ({type(err).__name__})"
            )
        return self._count(outcome)

    def malformed(self, reason: str) -> VerificationOutcome:
        """Counts a delivery rejected before it could be verified (e.g. an oversized body)."""
        return self._count(VerificationOutcome(VerificationResult.MALFORMED, reason))

    def release(self, outcome: VerificationOutcome) -> None:
        """Forgets an accepted delivery's events, so the vendor's retry is accepted again.

        Call it when processing the events failed after verification.
        """
        self.replay_window.forget(outcome.replay_keys)

    def _count(self, outcome: VerificationOutcome) -> VerificationOutcome:
        self._counter.labels(vendor=self._vendor, result=outcome.result.value).inc()
        return outcome

    def _verify(self, headers: Headers, body: bytes) -> VerificationOutcome:
        found = _single_headers(headers, (WEBHOOK_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
        webhook_id = found[WEBHOOK_ID_HEADER]
        timestamp = found[TIMESTAMP_HEADER]
        signature = found[SIGNATURE_HEADER]
        if not _HEX_SHA256.fullmatch(signature):
            raise _malformed(f"header {SIGNATURE_HEADER}: expected 64 hex characters")
        if not timestamp.isascii():
            raise _malformed(f"header {TIMESTAMP_HEADER}: expected ASCII text")

        by_previous = self._authenticate(body, timestamp, signature.lower())

        document, events, meta = _parse_body(body)
        if meta["klaviyo_webhook_id"] != webhook_id:
            # The body is authentic, the header is not signed: a mismatch means the
            # delivery was altered or misrouted, so it is refused as unauthentic.
            raise _Rejected(
                VerificationResult.INVALID_SIGNATURE,
                f"header {WEBHOOK_ID_HEADER} does not match body field meta.klaviyo_webhook_id",
            )

        now = self._clock()
        sent_at = _parse_time(meta["timestamp"])
        age = now - sent_at
        self._health.delivered(webhook_id, age)
        if abs(age) > self.tolerance_seconds:
            when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s in the future"
            raise _Rejected(
                VerificationResult.STALE,
                f"body field meta.timestamp is {when}; tolerance is {self.tolerance_seconds:g} s",
            )
        if sent_at <= self.replay_window.forgotten_until:
            raise _Rejected(
                VerificationResult.STALE,
                "body field meta.timestamp is not after the newest delivery the duplicate "
                "window had to forget (it is full); a replay could not be told apart",
            )

        outcome = self._deduplicate(webhook_id, signature.lower(), document, events, now, sent_at)
        self._health.valid(webhook_id, now)
        if by_previous:
            self._previous_accepted.inc()
        return outcome

    def _authenticate(self, body: bytes, timestamp: str, signature: str) -> bool:
        """Whether the previous secret (rather than the current one) signed the delivery;
        _Rejected when neither valid secret did."""
        keys = self._secrets.keys
        if hmac.compare_digest(klaviyo_signature(keys.current, body, timestamp), signature):
            return False
        if keys.previous is not None and hmac.compare_digest(
            klaviyo_signature(keys.previous, body, timestamp), signature
        ):
            if self._clock() < keys.previous_until:
                return True
            raise _Rejected(
                VerificationResult.INVALID_SIGNATURE,
                f"header {SIGNATURE_HEADER} matches the previous signing secret, whose "
                f"overlap ended at {iso(keys.previous_until)}",
            )
        raise _Rejected(
            VerificationResult.INVALID_SIGNATURE,
            f"header {SIGNATURE_HEADER} does not match the body and {TIMESTAMP_HEADER}",
        )

    def _deduplicate(
        self,
        webhook_id: str,
        signature: str,
        document: dict[str, Any],
        events: list[dict[str, Any]],
        now: float,
        sent_at: float,
    ) -> VerificationOutcome:
        # An empty batch has no event id: the delivery itself (its signature) is the key.
        keyed: list[tuple[str, dict[str, Any] | None]] = [
            (f"{webhook_id}:event:{event['external_id']}", event) for event in events
        ]
        if not keyed:
            keyed = [(f"{webhook_id}:delivery:{signature}", None)]
        claimed = self.replay_window.claim([key for key, _ in keyed], now, sent_at)
        if not claimed:
            raise _Rejected(
                VerificationResult.DUPLICATE,
                f"all {len(events)} event(s) of this delivery were accepted before"
                if events
                else "this delivery was accepted before",
            )
        by_key = dict(keyed)
        return VerificationOutcome(
            VerificationResult.VALID,
            "verified",
            body=document,
            events=tuple(event for key in claimed if (event := by_key[key]) is not None),
            replay_keys=tuple(claimed),
        )


def _single_headers(headers: Headers, names: Iterable[str]) -> dict[str, str]:
    """The value of each of `names` (case-insensitive), which must occur exactly once."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name.lower(), []).append(value)
    found: dict[str, str] = {}
    for name in names:
        occurrences = values.get(name.lower(), [])
        if not occurrences:
            raise _malformed(f"missing header {name}")
        if len(occurrences) > 1:
            raise _malformed(f"header {name} appears {len(occurrences)} times; expected once")
        value = occurrences[0].strip()
        if not value:
            raise _malformed(f"header {name} is empty")
        found[name] = value
    return found


def _parse_body(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    try:
        document = bounded_json.loads(body)
    except bounded_json.JSONRejected as err:
        raise _malformed("body: expected JSON" if err.syntax else f"body {err}") from None
    if not isinstance(document, dict):
        raise _malformed("body: expected a JSON object")
    events = document.get("data")
    if not isinstance(events, list):
        raise _malformed("body field data: expected an array")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _malformed(f"body field data[{index}]: expected an object")
        if not _non_empty_string(event.get("external_id")):
            raise _malformed(f"body field data[{index}].external_id: expected a non-empty string")
    meta = document.get("meta")
    if not isinstance(meta, dict):
        raise _malformed("body field meta: expected an object")
    for name in ("klaviyo_webhook_id", "timestamp"):
        if not _non_empty_string(meta.get(name)):
            raise _malformed(f"body field meta.{name}: expected a non-empty string")
    return document, events, meta


def _parse_time(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _malformed("body field meta.timestamp: expected ISO 8601 with a UTC offset")
    return moment.timestamp()


def _non_empty_string(value: object) -> bool:
    return isinstance(value, str) and value != ""
