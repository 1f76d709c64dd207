"""A rendered alert's wait, read back from a rule file: Prometheus's `for`, or the hold
of an alert whose cause can change while it waits (promql.hold: the wait is a condition
on its since-record, and its `for` is 0). Tools that run the pack's rules on another
clock (saas_tools.stack) scale both through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from saas_exporter.durations import format_duration, parse_duration

from .promql import SINCE_RECORD, number

HOLD = re.compile(
    r"(time\(\) - " + re.escape(SINCE_RECORD) + r'\{alert="[^"]+"\} >= )([0-9.e+]+)\)'
)


def hold_seconds(rule: Mapping[str, Any]) -> float | None:
    """The hold of a held alert rule, None for any other rule."""
    found = HOLD.search(rule.get("expr", ""))
    return float(found.group(2)) if found else None


def wait_seconds(rule: Mapping[str, Any]) -> float:
    """How long the alert's condition must hold before it fires."""
    held = hold_seconds(rule)
    return held if held is not None else parse_duration(rule.get("for", "0s"))


def with_wait(rule: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """A copy of the alert rule that waits `seconds`, in its hold or its `for`."""
    copy = dict(rule)
    if hold_seconds(rule) is None:
        copy["for"] = format_duration(seconds)
    else:
        copy["expr"] = HOLD.sub(lambda m: f"{m.group(1)}{number(seconds)})", rule["expr"])
    return copy
