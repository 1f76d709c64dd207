"""Spans of time from range-query data: when an alert was pending or firing, when a
status-page incident was listed in each state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .promapi import Series

# Two samples further apart than this many steps belong to separate spans.
GAP_STEPS = 1.5


@dataclass(frozen=True)
class Span:
    labels: dict[str, str]
    start: float
    end: float | None  # None: still present at the end of the window


def identity(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in labels.items() if k != "__name__")


def spans(
    series: Iterable[Series], step: float, active: set[frozenset[tuple[str, str]]]
) -> list[Span]:
    """Each run of consecutive points of a `max_over_time(...[step])` range query.

    A point at t means "present at some time in (t - step, t]": a span starts at its
    first point and ends at its last (each within one step of the truth). A series
    in `active` (an instant query at the window's end) is still going on.
    """
    out: list[Span] = []
    for item in series:
        labels = {k: v for k, v in item.labels.items() if k != "__name__"}
        times = [t for t, _ in item.values]
        if not times:
            continue
        start = prev = times[0]
        for t in times[1:]:
            if t - prev > GAP_STEPS * step:
                out.append(Span(labels, start, prev))
                start = t
            prev = t
        out.append(Span(labels, start, None if identity(labels) in active else prev))
    out.sort(key=lambda s: (s.start, sorted(s.labels.items())))
    return out


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def format_duration(seconds: float) -> str:
    """'2 hours 5 minutes', '4 minutes 10 seconds', '45 seconds'."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    if hours:
        return f"{unit(hours, 'hour')} {unit(minutes, 'minute')}"
    if minutes:
        return f"{unit(minutes, 'minute')} {unit(secs, 'second')}"
    return unit(secs, "second")
