"""Generated promtool tests: every row, on both sides of its threshold, per vendor.

Each row's `test` block names the series the row reads and how to drive it (`kind`).
Time runs in one-minute steps through three phases: BELOW (the value sits exactly at
the threshold, which must not fire), ABOVE (one step past it), then BELOW again. The
expected value of the alert at each minute is computed here from those inputs, so the
tests check the alert's exact labels, annotations and the minute it starts firing.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import alerting, promql
from .spec import AlertRow, Table, TestSpec, Vendor

BELOW_MINUTES = 10
ABOVE_EXTRA_MINUTES = 10
RECOVERY_MINUTES = 20
OBSERVATIONS_PER_MINUTE = 10

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}

_LABEL = re.compile(r"\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}")
_VALUE = re.compile(r'\{\{ \$value \| printf "([^"]*)" \}\}')


class TestSpecError(ValueError):
    """A row's `test` block cannot drive its alert as the table claims."""


def render_template(template: str, labels: dict[str, str], value: float) -> str:
    """Render the Go-template subset the table allows in descriptions and URLs."""
    text = _LABEL.sub(lambda m: labels.get(m.group(1), ""), template)
    text = _VALUE.sub(lambda m: m.group(1) % value, text)
    if "{{" in text:
        raise TestSpecError(f"unsupported template construct in {template!r}")
    return text


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

    def __init__(self, row: AlertRow, threshold: float, fill: Callable[[str], str]) -> None:
        self.row = row
        self.spec: TestSpec = row.test
        self.threshold = threshold
        self.name = fill
        self.series = fill(self.spec.series)

    def inputs(self, timeline: Timeline, breach: bool) -> list[dict[str, str]]:
        kind = self.spec.kind
        above = timeline.above if breach else (lambda _minute: False)
        series = getattr(self, f"_inputs_{kind}")(timeline, above)
        constants = [
            {
                "series": self.name(constant.series),
                "values": f"{promql.number(constant.value)}x{timeline.end - 1}",
            }
            for constant in self.spec.constant_series
        ]
        return series + constants

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

    # absence: the series is present, then goes stale, then comes back.
    def _inputs_absence(self, timeline: Timeline, above: Callable[[int], bool]) -> list:
        values = []
        for minute in range(timeline.end):
            if not above(minute):
                values.append("1")
            else:
                values.append("stale" if minute == timeline.above_start else "_")
        return [{"series": self.series, "values": " ".join(values)}]

    def _value_absence(self, timeline: Timeline, minute: int) -> float | None:
        return 1.0 if timeline.above(minute) else None


class RowTests:
    """The generated test cases of one row for one vendor."""

    def __init__(self, table: Table, row: AlertRow, vendor: Vendor | None) -> None:
        self.table = table
        self.row = row
        # A row without a vendor matcher has a static vendor (thresholds checks it).
        self.vendor_name: str = vendor.name if vendor else row.static_vendor or ""
        effective = table.effective(row, vendor)
        self.threshold = effective.threshold
        self.for_minutes = effective.for_minutes
        self.probe = self._probe(vendor)
        self.drive = Drive(row, self.threshold, self.fill)
        self.timeline = Timeline(
            above_start=BELOW_MINUTES,
            above_end=BELOW_MINUTES + self.for_minutes + ABOVE_EXTRA_MINUTES,
            end=BELOW_MINUTES + self.for_minutes + ABOVE_EXTRA_MINUTES + RECOVERY_MINUTES,
        )

    def _holds(self, minute: int) -> bool:
        value = self.drive.value(self.timeline, minute)
        return value is not None and COMPARE[self.row.op](value, self.threshold)

    def _probe(self, vendor: Vendor | None) -> str:
        """The probe a row's test series name (`$probe`): the first of the vendor's
        probes whose series the row reads; "" for a row that reads no probe's."""
        row = self.row
        if vendor is None or (row.requires_probe is None and row.requires_reason is None):
            return ""
        return self.table.probes_for(row, vendor)[0]

    def fill(self, text: str) -> str:
        """A test series or label with `$vendor`, `$probe` and `$exporter_job` filled in."""
        return (
            text.replace("$vendor", self.vendor_name)
            .replace("$probe", self.probe)
            .replace("$exporter_job", self.table.settings.exporter_job)
        )

    def expected_alert(self, labels: Mapping[str, str], value: float) -> dict[str, Any]:
        row = self.row
        expression_labels = {k: self.fill(v) for k, v in labels.items() if v != ""}
        if not row.cause.is_static:
            expression_labels["cause"] = row.cause.default
        all_labels = {**expression_labels, **alerting.labels(self.table, row)}
        annotations = {
            key: render_template(text, expression_labels, value)
            for key, text in alerting.alert_annotations(self.table, row).items()
        }
        return {"exp_labels": all_labels, "exp_annotations": annotations}

    def _firing_labels(self) -> dict[str, str]:
        base = {} if self.row.static_vendor else {"vendor": self.vendor_name}
        return {**base, **self.row.test.labels}

    def _check(self, minute: int, alerts: list[dict[str, Any]], name: str = "") -> dict:
        return {
            "eval_time": f"{minute}m",
            "alertname": name or self.row.name,
            "exp_alerts": alerts,
        }

    def _case(self, inputs: list[dict[str, str]], checks: list[dict]) -> dict[str, Any]:
        return {"interval": "1m", "input_series": inputs, "alert_rule_test": checks}

    def _others_present(self) -> list[dict[str, str]]:
        """For an absence row, the other vendors' series exist throughout, so only this
        vendor's absent() rule can fire in its own breach and below cases."""
        if self.row.test.kind != "absence":
            return []
        return [
            {
                "series": self.row.test.series.replace("$vendor", other.name),
                "values": f"1+0x{self.timeline.end}",
            }
            for other in self.table.targets(self.row)
            if other is not None and other.name != self.vendor_name
        ]

    def breach(self) -> dict[str, Any]:
        """Below, then one step above: fires after exactly `for`, resolves on recovery."""
        line = self.timeline
        onset = next((m for m in range(line.above_start, line.above_end) if self._holds(m)), None)
        fires_at = (onset or 0) + self.for_minutes
        if onset is None or fires_at >= line.above_end:
            raise TestSpecError(f"{self.row.name}: the test's ABOVE phase never fires")
        if not all(self._holds(m) for m in range(onset, fires_at + 1)):
            raise TestSpecError(f"{self.row.name}: the condition does not hold for `for`")
        value = self.drive.value(line, fires_at)
        assert value is not None
        checks = [self._check(line.above_start - 1, [])]
        if self.for_minutes:
            checks.append(self._check(fires_at - 1, []))
        checks.append(self._check(fires_at, [self.expected_alert(self._firing_labels(), value)]))
        checks.append(self._check(line.end - 1, []))
        return self._case(self.drive.inputs(line, breach=True) + self._others_present(), checks)

    def below(self) -> dict[str, Any]:
        """Exactly at the threshold for the whole run: never fires."""
        line = self.timeline
        checks = [self._check(m, []) for m in (line.above_start + self.for_minutes, line.end - 1)]
        return self._case(self.drive.inputs(line, breach=False) + self._others_present(), checks)

    def missing(self) -> dict[str, Any] | None:
        """No series at all: this alert stays quiet and the row's gap alert fires.

        With no series at all, a per-vendor gap alert fires for every vendor it covers.
        """
        gap_name = self.row.gap_alert
        if gap_name is None:
            return self._case([], [self._check(self.timeline.end - 1, [])])
        gap_row = self.table.alert(gap_name)
        gaps = [RowTests(self.table, gap_row, v) for v in self.table.targets(gap_row)]
        gap_alerts = [
            gap.expected_alert(gap_row.test.absent_labels or {"vendor": gap.vendor_name}, 1.0)
            for gap in gaps
        ]
        # Every vendor's gap alert must be firing: check once the slowest one is due.
        gap_check = max(gap.for_minutes for gap in gaps)
        checks = [self._check(gap_check, gap_alerts, gap_name)]
        if gap_name != self.row.name:
            checks.append(self._check(gap_check, []))
        return self._case([], checks)

    def cases(self) -> list[dict[str, Any]]:
        return [case for case in (self.breach(), self.below(), self.missing()) if case]


def test_file_path(group_name: str) -> str:
    return f"promtool-tests/generated-{group_name}.yaml"


def rule_files_for_tests(table: Table, group_name: str) -> list[str]:
    """The recording rules, the group under test, and the groups of its gap alerts.

    Loading only these keeps promtool fast: it evaluates every loaded rule each minute.
    """
    needed = {alerting.RECORDING_GROUP, group_name}
    needed |= {
        table.alert(row.gap_alert).group for row in table.rows_in(group_name) if row.gap_alert
    }
    return [
        f"../{alerting.rule_file_path(name)}"
        for name in alerting.group_names(table)
        if name in needed
    ]


def render(table: Table) -> dict[str, dict[str, Any]]:
    files = {}
    for group in table.groups:
        cases = [
            case
            for row in table.rows_in(group.name)
            for vendor in table.targets(row)
            for case in RowTests(table, row, vendor).cases()
        ]
        files[test_file_path(group.name)] = {
            "rule_files": rule_files_for_tests(table, group.name),
            "evaluation_interval": table.settings.evaluation_interval,
            # Prometheus runs groups independently; the tests pin the recording group
            # first so `cause` never lags by one evaluation.
            "group_eval_order": [alerting.RECORDING_GROUP, group.name],
            "tests": cases,
        }
    return files
