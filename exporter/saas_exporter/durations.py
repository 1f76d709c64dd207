"""The one duration grammar: Prometheus's (`500ms`, `30s`, `1m30s`, `2h`, `1d`).

Units largest first, each at most once, whole numbers only, as Prometheus's
`model.ParseDuration` accepts them. Every duration the project reads (config, the
threshold table, the drill, on-call `--since`) goes through `parse_duration`.
"""

from __future__ import annotations

import re

UNIT_SECONDS: dict[str, float] = {
    "y": 365 * 86400.0,
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}
# One optional group per unit, in Prometheus's order; `ms` before `m` would mis-read "5ms".
_GRAMMAR = re.compile(
    r"^(?:(?P<y>\d+)y)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?"
    r"(?:(?P<m>\d+)m(?!s))?(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)
# Longer than any interval anyone means; also keeps float arithmetic exact enough.
_MAX_DIGITS = 12
EXAMPLES = "500ms, 30s, 1m30s, 10m or 2h"


def parse_duration(text: object) -> float:
    """Seconds in a Prometheus duration; ValueError (naming the grammar) otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"expected a duration like {EXAMPLES}, got {text!r}")
    match = _GRAMMAR.match(text.strip()) if text.strip() else None
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"expected a duration like {EXAMPLES}, got {text!r}")
    seconds = 0.0
    for unit, amount in match.groupdict().items():
        if amount is not None:
            if len(amount) > _MAX_DIGITS:
                raise ValueError(f"duration {text!r} is too long")
            seconds += int(amount) * UNIT_SECONDS[unit]
    return seconds


def parse_positive_duration(text: object) -> float:
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(f"expected a positive duration like {EXAMPLES}, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest Prometheus form of a whole number of milliseconds (`90` -> `1m30s`)."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    out = ""
    for unit in ("d", "h", "m", "s", "ms"):
        size = round(UNIT_SECONDS[unit] * 1000)
        amount, millis = divmod(millis, size)
        if amount:
            out += f"{amount}{unit}"
    return out
