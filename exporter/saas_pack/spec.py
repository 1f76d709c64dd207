"""The threshold table as typed, immutable objects: what every renderer reads.

`thresholds.parse` builds a `Table` once, after validating rules/thresholds.yaml;
renderers never see the YAML's dictionaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from saas_exporter.durations import parse_duration

Cause = Literal["vendor", "integration", "infrastructure"]
# A row whose series every vendor with any probe has.
ANY_PROBE = "any"


@dataclass(frozen=True)
class Kubernetes:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Settings:
    runbook_base_url: str
    dashboard_base_url: str
    dashboard_uid: str
    # The Prometheus job that scrapes the exporter (for SaasExporterDown).
    exporter_job: str
    evaluation_interval: str
    kubernetes: Kubernetes


@dataclass(frozen=True)
class Priority:
    name: str
    severity: str
    definition: str
    response_time: str


@dataclass(frozen=True)
class Override:
    """One vendor's change to one alert row; None keeps the row's value."""

    threshold: float | None = None
    for_: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Vendor:
    name: str
    display_name: str
    status_page_url: str
    probes: tuple[str, ...]
    in_app: bool
    overrides: Mapping[str, Override] = field(default_factory=dict)
    # action key -> this vendor's steps, replacing the table's generic ones
    runbook_steps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    name: str
    title: str


@dataclass(frozen=True)
class CauseBranch:
    """`cause` when `expr` holds for the alert's series (`meaning` says so in words)."""

    cause: Cause
    meaning: str
    expr: str


@dataclass(frozen=True)
class CauseRule:
    """How the `cause` label is computed: vendor incident first, then `when` in
    order, then `default`."""

    vendor_incident: bool
    default: Cause
    when: tuple[CauseBranch, ...] = ()

    @property
    def is_static(self) -> bool:
        """The cause is always the default: a fixed label, no PromQL branches."""
        return not self.vendor_incident and not self.when


@dataclass(frozen=True)
class ConstantSeries:
    series: str
    value: float


@dataclass(frozen=True)
class TestSpec:
    """How the generated promtool tests drive a row (see promtool_tests)."""

    __test__ = False  # not a pytest class

    kind: Literal["counter", "gauge", "histogram", "deadline", "timestamp", "absence"]
    series: str
    labels: Mapping[str, str] = field(default_factory=dict)
    absent_labels: Mapping[str, str] | None = None
    below: float | None = None
    above: float | None = None
    window_minutes: int | None = None
    divisor: float | None = None
    buckets: tuple[float, float, float] | None = None
    direction: Literal["since", "until"] | None = None
    constant_series: tuple[ConstantSeries, ...] = ()


@dataclass(frozen=True)
class AlertRow:
    """One row of the table: an alert, its threshold, its text and its test."""

    name: str
    group: str
    source: Literal["in_app", "probe", "exporter"]
    priority: str
    meaning: str
    summary: str
    description: str
    # The measured value, without the comparison; `$vendor_matcher` and `$exporter_job`
    # are filled in per rendered rule (promql.substitute).
    expr: str
    op: str
    threshold: float
    unit: str
    for_: str
    by: tuple[str, ...]
    cause: CauseRule
    runbook: tuple[str, ...]
    dashboard_panel: str
    gap_alert: str | None
    test: TestSpec
    static_labels: Mapping[str, str] = field(default_factory=dict)
    also_absent: bool = False
    per_vendor: bool = False
    # None: no probe needed; ANY_PROBE; or probe names of which a vendor needs one.
    requires_probe: str | tuple[str, ...] | None = None

    @property
    def per_vendor_series(self) -> bool:
        """Whether the expression selects by vendor (else it is about the exporter)."""
        return "$vendor_matcher" in self.expr

    @property
    def static_vendor(self) -> str | None:
        """The fixed `vendor` label of a row about the exporter itself (`all`)."""
        return self.static_labels.get("vendor")


@dataclass(frozen=True)
class RunbookAction:
    """Immediate actions for one error type; `branch` is its decision-tree branch."""

    key: str
    title: str
    branch: Cause
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Effective:
    """One alert row's values for one vendor, after that vendor's overrides."""

    threshold: float
    for_: str
    enabled: bool

    @property
    def for_minutes(self) -> int:
        return math.ceil(parse_duration(self.for_) / 60)


@dataclass(frozen=True)
class Table:
    settings: Settings
    priorities: Mapping[str, Priority]
    vendors: tuple[Vendor, ...]
    groups: tuple[Group, ...]
    alerts: tuple[AlertRow, ...]
    runbook_actions: Mapping[str, RunbookAction]

    def rows_in(self, group_name: str) -> list[AlertRow]:
        return [row for row in self.alerts if row.group == group_name]

    def alert(self, name: str) -> AlertRow:
        return next(row for row in self.alerts if row.name == name)

    def vendor(self, name: str) -> Vendor:
        return next(vendor for vendor in self.vendors if vendor.name == name)

    def severity(self, priority: str) -> str:
        return self.priorities[priority].severity

    def default(self, row: AlertRow) -> Effective:
        return Effective(row.threshold, row.for_, True)

    def effective(self, row: AlertRow, vendor: Vendor | None) -> Effective:
        override = vendor.overrides.get(row.name) if vendor else None
        if override is None:
            return self.default(row)
        return Effective(
            threshold=row.threshold if override.threshold is None else override.threshold,
            for_=override.for_ or row.for_,
            enabled=override.enabled,
        )

    def applies(self, row: AlertRow, vendor: Vendor) -> bool:
        """Whether the vendor has the series the row reads, and has not disabled it."""
        if not self.effective(row, vendor).enabled:
            return False
        if row.source == "in_app":
            return vendor.in_app
        needed = row.requires_probe
        if needed is None:
            return True
        if needed == ANY_PROBE:
            return bool(vendor.probes)
        return any(probe in vendor.probes for probe in needed)

    def targets(self, row: AlertRow) -> list[Vendor | None]:
        """Whom the row's runbook pages and tests are for: each vendor it applies to,
        or None (the exporter itself) for a row without a vendor matcher."""
        if not row.per_vendor_series:
            return [None]
        return [vendor for vendor in self.vendors if self.applies(row, vendor)]
