"""The input series of each kind of generated promtool test, and the value they give
the alert minute by minute (promtool_tests builds the cases around them).

Time runs in one-minute steps through three phases: BELOW (the value sits exactly at
the threshold, which must not fire), ABOVE (one step past it), then BELOW again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import promql
from .spec import AlertRow, Effective, TestSpec

# The accounts of an `account_share` test (a vendor-wide row): enough for a share below half.
ACCOUNTS = ("a1", "a2", "a3", "a4", "a5")
OBSERVATIONS_PER_MINUTE = 10


class TestSpecError(ValueError):
    """A row's `test` block cannot drive its alert as the table claims."""


@dataclass(frozen=True)
class Timeline:
    """Which phase each one-minute sample is in."""

    above_start: int
    above_end: int  # first minute back in BELOW
    end: int  # number of samples

    def above(self, minute: int) -> bool:
        return self.above_start <= minute < self.above_end


def _level(row: AlertRow, threshold: float, side: str) -> float:
    """The gauge level on one side of the threshold: explicit, or derived."""
    explicit = row.test.below if side == "below" else row.test.above
    if explicit is not None:
        return explicit
    if side == "below":
        return threshold
    step = {">": 1, ">=": 1, "<": -1, "<=": -1}.get(row.op)
    if step is None:
        raise TestSpecError(f"{row.name}: test needs explicit below/above for op {row.op}")
    return threshold + step


class Drive:
    """The input series of one kind of test and the alert value they produce."""

    def __init__(self, row: AlertRow, effective: Effective, fill: Callable[[str], str]) -> None:
        self.row = row
        self.spec: TestSpec = row.test
        self.threshold = effective.threshold
        self.min_accounts = effective.min_accounts
        self.name = fill
        self.series = fill(self.spec.series)

    def inputs(self, timeline: Timeline, breach: bool) -> list[dict[str, str]]:
        kind = self.spec.kind
        above = timeline.above if breach else (lambda _minute: False)
        series = getattr(self, f"_inputs_{kind}")(timeline, above)
        constants = [
            {
                "series": series_name,
                "values": (
                    f"{promql.number(constant.value)}"
                    + (f"+{promql.number(constant.per_minute)}" if constant.per_minute else "")
                    + f"x{timeline.end - 1}"
                ),
            }
            for constant in self.spec.constant_series
            for series_name in self._per_account(self.name(constant.series))
        ]
        return series + constants

    def _per_account(self, series: str) -> list[str]:
        """An `account_share` test's series once per account; any other series as is."""
        if self.spec.kind != "account_share":
            return [series]
        return [series.replace("$account", account) for account in ACCOUNTS]

    def value(self, timeline: Timeline, minute: int) -> float | None:
        """The alert expression's value at `minute` of the breach scenario."""
        return getattr(self, f"_value_{self.spec.kind}")(timeline, minute)

    # counter: per-minute increments; the row divides a windowed increase.
    @property
    def _window(self) -> int:
        assert self.spec.window_minutes is not None  # thresholds.TEST_FIELDS
        return self.spec.window_minutes

    @property
    def _divisor(self) -> float:
        assert self.spec.divisor is not None  # thresholds.TEST_FIELDS
        return self.spec.divisor

    @property
    def _buckets(self) -> tuple[float, float, float]:
        assert self.spec.buckets is not None  # thresholds.TEST_FIELDS
        return self.spec.buckets

    def _increment(self, above: bool) -> float:
        below = self.threshold * self._divisor / self._window
        return below + 1 if above else below

    def _inputs_counter(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        total, values = 0.0, ["0"]
        for minute in range(1, timeline.end):
            total += self._increment(above(minute))
            values.append(promql.number(total))
        return [{"series": self.series, "values": " ".join(values)}]

    def _value_counter(self, timeline: Timeline, minute: int) -> float:
        window = range(minute - self._window + 1, minute + 1)
        increase = sum(self._increment(timeline.above(m)) for m in window)
        return increase / self._divisor

    # gauge: a level.
    def _inputs_gauge(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        levels = [
            _level(self.row, self.threshold, "above" if above(m) else "below")
            for m in range(timeline.end)
        ]
        return [{"series": self.series, "values": " ".join(promql.number(v) for v in levels)}]

    def _value_gauge(self, timeline: Timeline, minute: int) -> float:
        side = "above" if timeline.above(minute) else "below"
        return _level(self.row, self.threshold, side)

    # histogram: observations just under the threshold bucket boundary, or just over.
    def _inputs_histogram(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        low, boundary, high = self._buckets
        counts: dict[str, list[int]] = {promql.number(b): [0] for b in (low, boundary, high)}
        counts["+Inf"] = [0]
        for minute in range(1, timeline.end):
            over = above(minute)
            for le, values in counts.items():
                bucket_gets = le != promql.number(low) and not (
                    over and le == promql.number(boundary)
                )
                values.append(values[-1] + (OBSERVATIONS_PER_MINUTE if bucket_gets else 0))
        name, labels = self.series.split("{", 1)
        return [
            {"series": f'{name}{{{labels[:-1]},le="{le}"}}', "values": " ".join(map(str, values))}
            for le, values in counts.items()
        ]

    def _value_histogram(self, timeline: Timeline, minute: int) -> float:
        low, boundary, high = self._buckets
        window = self._window
        over = sum(timeline.above(m) for m in range(minute - window + 1, minute + 1))
        total = window * OBSERVATIONS_PER_MINUTE
        under_boundary = total - over * OBSERVATIONS_PER_MINUTE
        rank = 0.95 * total
        if rank <= under_boundary:
            return low + (boundary - low) * rank / under_boundary
        return boundary + (high - boundary) * (rank - under_boundary) / (total - under_boundary)

    # deadline: a Unix timestamp compared with time(), in units of `divisor` seconds.
    def _inputs_deadline(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        return self._inputs_gauge(timeline, above)

    def _value_deadline(self, timeline: Timeline, minute: int) -> float:
        stamp = self._value_gauge(timeline, minute)
        elapsed = minute * 60 - stamp
        sign = 1 if self.spec.direction == "since" else -1
        return sign * elapsed / self._divisor

    # timestamp: a "last run" time that follows the clock, then freezes.
    def _stamp(self, timeline: Timeline, above: Callable[[int], bool], minute: int) -> int:
        frozen = timeline.above_start - 1
        return frozen * 60 if above(minute) else minute * 60

    def _inputs_timestamp(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        values = [str(self._stamp(timeline, above, m)) for m in range(timeline.end)]
        return [{"series": self.series, "values": " ".join(values)}]

    def _value_timestamp(self, timeline: Timeline, minute: int) -> float:
        stamp = self._stamp(timeline, timeline.above, minute)
        return (minute * 60 - stamp) / self._divisor

    # disappearance: the series is present, then goes stale, then comes back; the
    # alert's value is how many series disappeared (this one).
    def _inputs_disappearance(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        return [{"series": self.series, "values": present_then_gone(timeline, above)}]

    def _value_disappearance(self, timeline: Timeline, minute: int) -> float | None:
        return 1.0 if timeline.above(minute) else None

    # account_share: one failing gauge per account (ACCOUNTS); BELOW one account short of
    # the row's minimum (min_accounts, and the threshold's percentage of them), ABOVE
    # exactly the minimum. The value is the percentage of accounts failing.
    @property
    def _needed(self) -> int:
        assert self.min_accounts is not None  # table_checks: $min_accounts needs it
        return max(self.min_accounts, math.ceil(self.threshold / 100 * len(ACCOUNTS)))

    def _inputs_account_share(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        result = []
        for index, account in enumerate(ACCOUNTS):
            levels = [
                int(index < (self._needed if above(m) else self._needed - 1))
                for m in range(timeline.end)
            ]
            result.append(
                {
                    "series": self.series.replace("$account", account),
                    "values": " ".join(map(str, levels)),
                }
            )
        return result

    def _value_account_share(self, timeline: Timeline, minute: int) -> float | None:
        if not timeline.above(minute):
            return None
        return 100 * self._needed / len(ACCOUNTS)


def present_then_gone(timeline: Timeline, gone: Callable[[int], bool]) -> str:
    """Promtool values of a series present (1) except while `gone`, stale from its
    first minute gone."""
    values = []
    for minute in range(timeline.end):
        if not gone(minute):
            values.append("1")
        else:
            values.append("_" if minute and gone(minute - 1) else "stale")
    return " ".join(values)
