"""What verifying one webhook delivery concluded."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class VerificationResult(StrEnum):
    """The `result` label of saas_webhook_verifications_total (a closed set)."""

    VALID = "valid"
    INVALID_SIGNATURE = "invalid_signature"
    STALE = "stale"
    DUPLICATE = "duplicate"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class VerificationOutcome:
    """`result`, why (`reason`, safe to log and to return: it never holds the secret),
    and for an accepted delivery the parsed body and the events not seen before."""

    result: VerificationResult
    reason: str
    body: dict[str, Any] | None = None
    events: tuple[dict[str, Any], ...] = field(default=())
    # The duplicate-window keys this delivery claimed (see KlaviyoWebhookVerifier.release).
    replay_keys: tuple[str, ...] = field(default=(), repr=False)

    @property
    def accepted(self) -> bool:
        """True when the caller should process `events` (only VALID)."""
        return self.result is VerificationResult.VALID
