"""Retry-After (RFC 9110): delay-seconds or an HTTP-date."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

# However long a vendor asks, probe again after at most this (a daily-quota 429
# would otherwise blind the exporter for a day).
MAX_BACKOFF_SECONDS = 900.0


def parse_retry_after(value: str, now: float) -> float:
    """Seconds to wait from ``now``; raises ValueError naming what was expected."""
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError(
            f"retry-after: expected delay-seconds or an HTTP-date "
            f"(e.g. 'Wed, 21 Oct 2026 07:28:00 GMT'), got {text!r}"
        )
    return max(0.0, when.timestamp() - now)


def backoff_seconds(retry_after: float) -> float:
    return min(retry_after, MAX_BACKOFF_SECONDS)
