"""Signing secrets during a rotation: the new one, and the old one until the overlap ends.

Rotating a webhook secret is never atomic: the vendor switches to the new secret at one
moment, the application at another, and deliveries already queued were signed with the
old one. During a configured overlap both are valid; afterwards a delivery signed with
the old secret is refused, and the reason says so.

    verifier = KlaviyoWebhookVerifier(new_secret, previous_secret=old_secret,
                                      previous_secret_valid_until=datetime(2026, 10, 1, tzinfo=UTC))
    verifier.rotate(newer_secret, overlap_seconds=3600)   # at runtime
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_OVERLAP_SECONDS = 3600.0


def _key(secret: str | bytes) -> bytes:
    if not secret:
        raise ValueError("the webhook secret must not be empty")
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _unix(moment: float | datetime) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("previous_secret_valid_until: expected an aware datetime (UTC)")
        return moment.timestamp()
    return float(moment)


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Keys:
    current: bytes
    previous: bytes | None = None
    # Unix time the previous secret stops being valid.
    previous_until: float = 0.0


class SigningSecrets:
    """The current signing key and, during an overlap, the previous one; thread-safe."""

    def __init__(
        self,
        secret: str | bytes,
        previous_secret: str | bytes | None = None,
        previous_secret_valid_until: float | datetime | None = None,
    ) -> None:
        if (previous_secret is None) != (previous_secret_valid_until is None):
            raise ValueError(
                "previous_secret and previous_secret_valid_until go together: the old "
                "secret is valid only until the overlap ends"
            )
        self._lock = threading.Lock()
        self._keys = Keys(
            _key(secret),
            _key(previous_secret) if previous_secret is not None else None,
            _unix(previous_secret_valid_until) if previous_secret_valid_until is not None else 0,
        )

    @property
    def keys(self) -> Keys:
        with self._lock:
            return self._keys

    def rotate(self, new_secret: str | bytes, overlap_seconds: float, now: float) -> None:
        """`new_secret` becomes current; the current one stays valid `overlap_seconds`."""
        if overlap_seconds < 0:
            raise ValueError(f"overlap_seconds must not be negative, got {overlap_seconds}")
        new = _key(new_secret)
        with self._lock:
            self._keys = Keys(new, self._keys.current, now + overlap_seconds)
