"""Words for numbers in messages people read: "1 vendor", "the per-second window"."""

from __future__ import annotations

from .ratelimit_headers import UNSPECIFIED_WINDOW

_PER = {1: "per-second", 60: "per-minute", 3600: "per-hour", 86400: "per-day"}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 vendor`, `2 vendors`, `0 vendors`; `nouns` for irregular plurals."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def window_name(window: str) -> str:
    """A rate-limit window label (its length in seconds, or unspecified) as words:
    `the per-second window`, `the 10-second window`, `the window the vendor did not name`."""
    if window == UNSPECIFIED_WINDOW or not window.isdigit():
        return "the window the vendor did not name"
    seconds = int(window)
    return f"the {_PER.get(seconds, f'{seconds}-second')} window"
