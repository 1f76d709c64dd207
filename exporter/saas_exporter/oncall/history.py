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


def spans(series: Iterable[Series], step: float, window_end: float) -> list[Span]:
    """Each run of consecutive samples; it ended one step after its last sample."""
    out: list[Span] = []
    for item in series:
        labels = {k: v for k, v in item.labels.items() if k != "__name__"}
        times = [t for t, _ in item.values]
        if not times:
            continue
        start = prev = times[0]
        for t in times[1:]:
            if t - prev > GAP_STEPS * step:
                out.append(Span(labels, start, prev + step))
                start = t
            prev = t
        ongoing = window_end - prev <= GAP_STEPS * step
        out.append(Span(labels, start, None if ongoing else prev + step))
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
