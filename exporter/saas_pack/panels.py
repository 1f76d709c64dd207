"""Configure one Grafana panel from the table: queries, thresholds, runbook links, text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as model

from . import grafana
from .queries import Query
from .spec import Table

# Data links resolve the vendor per series (the variable may be "All").
FIELD_VENDOR = "${__field.labels.vendor}"
# Table panels see labels as columns.
ROW_VENDOR = "${__data.fields.vendor}"


@dataclass(frozen=True)
class PanelSpec:
    """What a panel shows, independent of its visualisation.

    key: the table's `dashboard_panel` key this panel answers (its alerts' runbooks
    become data links); alert: the row whose thresholds colour every field (and draw
    the threshold lines); each query may name its own row instead.
    """

    title: str
    shows: str
    queries: tuple[Query, ...] = ()
    key: str | None = None
    alert: str | None = None
    discrete: bool = False
    width: int = 12
    height: int = 8
    vendor_var: str = FIELD_VENDOR
    extra_overrides: tuple[tuple[model.MatcherConfig, list[model.DynamicConfigValue]], ...] = field(
        default=()
    )


def key_alerts(table: Table, key: str | None) -> list[str]:
    return [row.name for row in table.alerts if key and row.dashboard_panel == key]


def threshold_alerts(spec: PanelSpec) -> list[str]:
    names = [spec.alert] if spec.alert else []
    names += [q.alert for q in spec.queries if q.alert and q.alert not in names]
    return names


def description(table: Table, spec: PanelSpec) -> str:
    """What the panel shows, then the table's thresholds it draws and its alerts."""
    text = spec.shows
    shown = threshold_alerts(spec)
    if shown:
        text += " Thresholds from rules/thresholds.yaml: " + "; ".join(
            grafana.condition_text(table, name) for name in shown
        )
        text += "."
    alerts = key_alerts(table, spec.key)
    if alerts:
        text += f" Panel `{spec.key}` of alerts " + ", ".join(alerts) + " (runbooks as links)."
    return text


def _override(matcher_id: str, option: str, steps: list[model.Threshold]):
    return (
        model.MatcherConfig(id_val=matcher_id, options=option),
        [model.DynamicConfigValue(id_val="thresholds", value=grafana.thresholds_config(steps))],
    )


def threshold_overrides(table: Table, spec: PanelSpec):
    """Per-query thresholds by refId, then per-vendor table overrides by series name."""
    result = []
    for query in spec.queries:
        if query.alert and query.alert != spec.alert:
            steps = grafana.alert_steps(table, query.alert, query.discrete)
            result.append(_override("byFrameRefID", query.ref, steps))
    for query in spec.queries:
        name = query.alert or spec.alert
        discrete = query.discrete if query.alert else spec.discrete
        if name is None:
            continue
        for vendor, _value in grafana.overridden_vendors(table, name):
            steps = grafana.alert_steps(table, name, discrete, vendor)
            pattern = grafana.legend_pattern(vendor, query.legend)
            result.append(_override("byRegexp", pattern, steps))
    return result


def configure(table: Table, builder: Any, spec: PanelSpec, panel_id: int) -> Any:
    """Title, text, queries, thresholds, overrides and links shared by every panel type."""
    builder = (
        builder.id(panel_id)
        .title(spec.title)
        .description(description(table, spec))
        .span(spec.width)
        .height(spec.height)
    )
    if spec.queries:
        builder = builder.datasource(grafana.DATASOURCE).targets(
            [grafana.target(q) for q in spec.queries]
        )
    if spec.alert:
        builder = builder.thresholds(
            _thresholds_builder(grafana.alert_steps(table, spec.alert, spec.discrete))
        )
    for matcher, properties in [*threshold_overrides(table, spec), *spec.extra_overrides]:
        builder = builder.with_override(matcher, properties)
    links = [
        grafana.runbook_link(table, name, spec.vendor_var) for name in key_alerts(table, spec.key)
    ]
    if links:
        builder = builder.data_links(links)
    return builder


def _thresholds_builder(steps: list[model.Threshold]) -> dashboard.ThresholdsConfig:
    return dashboard.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)
