"""The threshold table as typed, immutable objects: what every renderer reads.

`thresholds.parse` builds a `Table` once, after validating rules/thresholds.yaml;
renderers never see the YAML's dictionaries. Vendor facts (probes, actions, cause
texts) are not in the table: it names each vendor's kind and holds the catalog.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from saas_exporter.catalog import Action, Catalog
from saas_exporter.durations import parse_duration

from . import probe_sets


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
    kubernetes: Kubernetes
    # None: every group inherits Prometheus's global evaluation_interval.
    evaluation_interval: str | None = None


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
    min_accounts: int | None = None


@dataclass(frozen=True)
class Vendor:
    name: str
    # The catalog's vendor kind: its probes, actions and defaults.
    kind: str
    display_name: str
    # None: the vendor has no status page (no status-page probe, rows or link).
    status_page_url: str | None
    # The kind's probes this vendor runs: its account probes, and the status-page
    # probe when it has a page.
    probes: tuple[str, ...]
    in_app: bool
    overrides: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    name: str
    title: str


@dataclass(frozen=True)
class CauseBranch:
    """`cause` when `expr` holds for the alert's series (`meaning` says so in words)."""

    cause: str
    meaning: str
    expr: str


@dataclass(frozen=True)
class CauseRule:
    """How the `cause` label is computed (saas_exporter.cause): the vendor's side first
    (its status page when `vendor_incident`, a vendor-wide failure when `vendor_wide`
    names the row that detects one), then `when` in order, then `default`."""

    vendor_incident: bool
    default: str
    when: tuple[CauseBranch, ...] = ()
    vendor_wide: str | None = None

    @property
    def is_static(self) -> bool:
        """The cause is always the default: a fixed label, no PromQL branches."""
        return not self.vendor_incident and not self.when and self.vendor_wide is None


@dataclass(frozen=True)
class ConstantSeries:
    series: str
    value: float
    # Added every minute (a counter, or a timestamp that follows the clock: 60).
    per_minute: float = 0.0


@dataclass(frozen=True)
class TestSpec:
    """How the generated promtool tests drive a row (see promtool_tests)."""

    __test__ = False  # not a pytest class

    kind: Literal[
        "counter", "gauge", "histogram", "deadline", "timestamp", "disappearance", "account_share"
    ]
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
class Record:
    """A recording rule a row's expression reads, rendered just before its alert."""

    name: str
    expr: str


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
    # `$min_accounts` in the expression (the vendor-wide row): overridable per vendor.
    min_accounts: int | None = None
    # Alerts an Alertmanager inhibit rule mutes while this one fires, same vendor.
    inhibits: tuple[str, ...] = ()
    record: Record | None = None
    # A probe set (probe_sets.PROBE_SETS) of which the vendor must run a probe.
    requires_probe: str | None = None
    # A failure reason one of the vendor's probes must be able to produce.
    requires_reason: str | None = None
    # An announced vendor maintenance may silence it while its cause is vendor
    # (`saas-exporter silences sync` matches the label this renders).
    silenced_by_maintenance: bool = False

    @property
    def per_vendor_series(self) -> bool:
        """Whether the expression selects by vendor (else it is about the exporter)."""
        return "$vendor_matcher" in self.expr

    @property
    def static_vendor(self) -> str | None:
        """The fixed `vendor` label of a row about the exporter itself (`all`)."""
        return self.static_labels.get("vendor")


@dataclass(frozen=True)
class Effective:
    """One alert row's values for one vendor, after that vendor's overrides."""

    threshold: float
    for_: str
    enabled: bool
    min_accounts: int | None = None

    @property
    def for_seconds(self) -> float:
        return parse_duration(self.for_)

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
    catalog: Catalog
    # `$name` -> text for the catalog's placeholders in expressions (probe_sets).
    placeholders: Mapping[str, str]

    def rows_in(self, group_name: str) -> list[AlertRow]:
        return [row for row in self.alerts if row.group == group_name]

    def alert(self, name: str) -> AlertRow:
        return next(row for row in self.alerts if row.name == name)

    def vendor(self, name: str) -> Vendor:
        return next(vendor for vendor in self.vendors if vendor.name == name)

    def severity(self, priority: str) -> str:
        return self.priorities[priority].severity

    def default(self, row: AlertRow) -> Effective:
        return Effective(row.threshold, row.for_, True, row.min_accounts)

    def effective(self, row: AlertRow, vendor: Vendor | None) -> Effective:
        override = vendor.overrides.get(row.name) if vendor else None
        if override is None:
            return self.default(row)
        return Effective(
            threshold=row.threshold if override.threshold is None else override.threshold,
            for_=override.for_ or row.for_,
            enabled=override.enabled,
            min_accounts=override.min_accounts or row.min_accounts,
        )

    def action(self, key: str, vendor: Vendor | None) -> tuple[Action, tuple[str, ...]]:
        """An immediate action and its steps for the vendor's kind (generic for None)."""
        steps = self.catalog.action_steps(key, vendor.kind if vendor else None)
        return self.catalog.actions[key], steps

    def probes_for(self, row: AlertRow, vendor: Vendor) -> tuple[str, ...]:
        """The vendor's probes whose series the row reads: those in the row's probe set
        that can fail with its reason (every probe when it requires neither)."""
        kind = self.catalog.kind(vendor.kind)
        probes = vendor.probes
        if row.requires_probe is not None:
            wanted = probe_sets.of_kind(kind, row.requires_probe)
            probes = tuple(probe for probe in probes if probe in wanted)
        if row.requires_reason is not None:
            probes = tuple(p for p in probes if row.requires_reason in kind.probes[p].reasons)
        return probes

    def applies(self, row: AlertRow, vendor: Vendor) -> bool:
        """Whether the vendor has the series the row reads, and has not disabled it."""
        if not self.effective(row, vendor).enabled:
            return False
        if row.source == "in_app":
            return vendor.in_app
        if row.requires_probe is None and row.requires_reason is None:
            return True
        return bool(self.probes_for(row, vendor))

    def targets(self, row: AlertRow) -> list[Vendor | None]:
        """Whom the row's runbook pages and tests are for: each vendor it applies to,
        or None (the exporter itself) for a row without a vendor matcher."""
        if not row.per_vendor_series:
            return [None]
        return [vendor for vendor in self.vendors if self.applies(row, vendor)]
