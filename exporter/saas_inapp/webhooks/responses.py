"""The HTTP answer a webhook endpoint gives for each verification result."""

from __future__ import annotations

from dataclasses import dataclass

from saas_inapp.webhooks.outcome import VerificationOutcome, VerificationResult

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

# A duplicate is acknowledged with 200 so the vendor stops redelivering it.
_STATUS: dict[VerificationResult, int] = {
    VerificationResult.VALID: 200,
    VerificationResult.DUPLICATE: 200,
    VerificationResult.INVALID_SIGNATURE: 401,
    VerificationResult.STALE: 400,
    VerificationResult.MALFORMED: 400,
}


def status_for(outcome: VerificationOutcome) -> int:
    return _STATUS[outcome.result]


@dataclass(frozen=True)
class BodyRejected:
    """A request refused before verification, with the status to answer."""

    status: int
    reason: str


def body_too_large(limit: int) -> str:
    return f"body: larger than {limit} bytes"
