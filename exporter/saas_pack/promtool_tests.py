"""Generated promtool tests: every row, on both sides of its threshold, per vendor.

Each row's `test` block names the series the row reads and how to drive it (`kind`,
promtool_drive). The expected value of the alert at each minute is computed from those
inputs, so the tests check the alert's exact labels, annotations and the minute it
starts firing.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import alerting
from .promtool_drive import Drive, TestSpecError, Timeline, present_then_gone
from .spec import AlertRow, Table, Vendor

# The tests' evaluation interval when the table sets none (groups inherit Prometheus's).
EVALUATION_INTERVAL = "1m"
BELOW_MINUTES = 10
ABOVE_EXTRA_MINUTES = 10
RECOVERY_MINUTES = 20

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


def render_template(template: str, labels: dict[str, str], value: float) -> str:
    """Render the Go-template subset the table allows in descriptions and URLs."""
    text = _LABEL.sub(lambda m: labels.get(m.group(1), ""), template)
    text = _VALUE.sub(lambda m: m.group(1) % value, text)
    if "{{" in text:
        raise TestSpecError(f"unsupported template construct in {template!r}")
    return text


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
        self.drive = Drive(row, effective, self.fill)
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
        """For a disappearance row, the other vendors' series exist throughout, so only
        this vendor's series disappear in its own breach and below cases."""
        if self.row.test.kind != "disappearance":
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
        """The row's series are gone: this alert stays quiet and the row's gap alert
        fires, for every vendor it covers.

        Most gaps are about no series at all (the exporter down). A disappearance gap
        (the in-app metrics) is about series that were there and went: its world has
        them for BELOW_MINUTES, then not.
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
        inputs: list[dict[str, str]] = []
        start = 0
        if gap_row.test.kind == "disappearance":
            start = BELOW_MINUTES
            line = self.timeline
            inputs = [
                {
                    "series": gap.fill(gap_row.test.series),
                    "values": present_then_gone(line, lambda m: m >= BELOW_MINUTES),
                }
                for gap in gaps
            ]
        # Every vendor's gap alert must be firing: check once the slowest one is due.
        gap_check = start + max(gap.for_minutes for gap in gaps)
        checks = [self._check(gap_check, gap_alerts, gap_name)]
        if gap_name != self.row.name:
            checks.append(self._check(gap_check, []))
        return self._case(inputs, checks)

    def never_there(self) -> dict[str, Any] | None:
        """A disappearance row with no series ever (the exporter alone, no in-app
        instrumentation): nothing to lose, so it never fires."""
        if self.row.test.kind != "disappearance":
            return None
        return self._case([], [self._check(self.timeline.end - 1, [])])

    def cases(self) -> list[dict[str, Any]]:
        cases = (self.breach(), self.below(), self.missing(), self.never_there())
        return [case for case in cases if case]


def test_file_path(group_name: str) -> str:
    return f"promtool-tests/generated-{group_name}.yaml"


def rule_files_for_tests(table: Table, group_name: str) -> list[str]:
    """The group under test and the groups of its gap alerts (every alert computes its
    cause inline). Loading only these keeps promtool fast: it evaluates every loaded
    rule each minute."""
    needed = {group_name}
    needed |= {
        table.alert(row.gap_alert).group for row in table.rows_in(group_name) if row.gap_alert
    }
    return [
        f"../{alerting.rule_file_path(name)}"
        for name in alerting.group_names(table)
        if name in needed
    ]


def evaluation_interval(table: Table) -> str:
    return table.settings.evaluation_interval or EVALUATION_INTERVAL


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
            "evaluation_interval": evaluation_interval(table),
            "tests": cases,
        }
    return files
