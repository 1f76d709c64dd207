"""Grafana building blocks derived from the threshold table: colours, steps, links,
query targets.

Every threshold a panel shows comes from an alert row of rules/thresholds.yaml through
`alert_steps`; nothing here holds a threshold value of its own.
"""

from __future__ import annotations

import json
import re

from grafana_foundation_sdk.builders import dashboard, prometheus
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prom_model

from . import alerting, promql
from .queries import Query
from .spec import Table

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
# The colour a breached threshold takes: the alert's priority.
PRIORITY_COLORS = {"P1": "red", "P2": "orange", "P3": "yellow", "P4": "blue"}
OK_COLOR = "green"
# The colours of state levels (queries.INDICATOR_STATES, COMPONENT_STATES) and of up/down.
INDICATOR_COLORS = ("green", "blue", "yellow", "orange", "red")
COMPONENT_COLORS = ("green", "blue", "yellow", "orange", "red")
UP_STATES = ("down", "up")
UP_COLORS = ("red", "green")


def steps(op: str, threshold: float, priority: str, discrete: bool) -> list[model.Threshold]:
    """Grafana colours a value with the highest step at or below it; map the alert's
    comparison onto that. A continuous `> t` shows t itself as breached."""
    bad = PRIORITY_COLORS[priority]
    if op == ">":
        edge = threshold + 1 if discrete else threshold
        return [model.Threshold(value=None, color=OK_COLOR), model.Threshold(edge, bad)]
    if op == "<":
        return [model.Threshold(value=None, color=bad), model.Threshold(threshold, OK_COLOR)]
    if op == "==" and discrete:
        return [
            model.Threshold(value=None, color=OK_COLOR),
            model.Threshold(threshold, bad),
            model.Threshold(threshold + 1, OK_COLOR),
        ]
    raise ValueError(f"no Grafana steps for {op} {threshold} (discrete={discrete})")


def thresholds_config(step_list: list[model.Threshold]) -> model.ThresholdsConfig:
    return model.ThresholdsConfig(mode=model.ThresholdsMode.ABSOLUTE, steps=step_list)


def priority_count_overrides(
    priorities: tuple[str, ...],
) -> tuple[tuple[model.MatcherConfig, list[model.DynamicConfigValue]], ...]:
    """Per-priority series of alert counts: green at 0, the priority's colour from 1."""
    return tuple(
        (
            model.MatcherConfig(id_val="byName", options=priority),
            [
                model.DynamicConfigValue(
                    id_val="thresholds",
                    value=thresholds_config(
                        [
                            model.Threshold(None, OK_COLOR),
                            model.Threshold(1, PRIORITY_COLORS[priority]),
                        ]
                    ),
                )
            ],
        )
        for priority in priorities
    )


def alert_steps(
    table: Table, name: str, discrete: bool, vendor: str | None = None
) -> list[model.Threshold]:
    row = table.alert(name)
    found = table.vendor(vendor) if vendor is not None else None
    threshold = table.effective(row, found).threshold
    return steps(row.op, threshold, row.priority, discrete)


def overridden_vendors(table: Table, name: str) -> list[tuple[str, float]]:
    """Vendors whose effective threshold for the alert differs from the row's."""
    row = table.alert(name)
    return [
        (vendor.name, table.effective(row, vendor).threshold)
        for vendor in table.vendors
        if table.applies(row, vendor) and table.effective(row, vendor).threshold != row.threshold
    ]


def condition_text(table: Table, name: str) -> str:
    """`seconds (P95) > 5 (SaasProbeHighLatency, P2; clay: > 2)`: the alert's
    condition as a panel describes it."""
    row = table.alert(name)
    extra = "".join(
        f"; {vendor}: {row.op} {promql.number(value)}"
        for vendor, value in overridden_vendors(table, name)
    )
    return f"{row.unit} {row.op} {promql.number(row.threshold)} ({name}, {row.priority}{extra})"


def legend_pattern(vendor: str, legend: str) -> str:
    """A regular expression for the display names a legend gives one vendor's series.

    Legends of threshold-carrying queries start with `{{vendor}} `.
    """
    if not legend.startswith("{{vendor}}"):
        raise ValueError(f"legend {legend!r} must start with {{{{vendor}}}} to carry overrides")
    rest = legend.removeprefix("{{vendor}}")
    parts = re.split(r"\{\{\s*\w+\s*\}\}", rest)
    return "^" + re.escape(vendor) + ".*".join(re.escape(part) for part in parts) + "$"


def runbook_link(table: Table, name: str, vendor_var: str) -> dashboard.DashboardLink:
    url = alerting.runbook_url(table, table.alert(name), vendor_var)
    return dashboard.DashboardLink(f"Runbook: {name}").url(url).target_blank(True)


def target(query: Query) -> prometheus.Dataquery:
    built = prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(query.ref)
    built = built.datasource(DATASOURCE)
    built = built.instant() if query.instant else built.range()
    if query.table:
        built = built.format(prom_model.PromQueryFormat.TABLE)
    return built


def value_mappings(states: tuple[str, ...], colors: tuple[str, ...]) -> list[model.ValueMapping]:
    """Levels 0..n shown as their state's name and colour: the encoding of state panels
    (queries.level_expr)."""
    return [
        model.ValueMap(
            {
                str(level): model.ValueMappingResult(text=text, color=color, index=level)
                for level, (text, color) in enumerate(zip(states, colors, strict=True))
            }
        )
    ]


def encode(built: model.Dashboard) -> str:
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
