"""Grafana building blocks derived from the threshold table: colours, steps, queries.

Every threshold a panel shows comes from an alert row of rules/thresholds.yaml through
`alert_steps`; nothing here holds a threshold value of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prom_model

from . import promql, rules
from .thresholds import Table

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
# The colour a breached threshold takes: the alert's priority.
PRIORITY_COLORS = {"P1": "red", "P2": "orange", "P3": "yellow", "P4": "blue"}
OK_COLOR = "green"

# Panel queries select with these; the test substitutes the variables.
VENDOR = 'vendor=~"$vendor"'
VENDOR_ACCOUNT = 'vendor=~"$vendor", account=~"$account"'
# Status-page probe series carry account="": keep them whatever account is selected.
VENDOR_ACCOUNT_OR_PAGE = 'vendor=~"$vendor", account=~"$account|"'


@dataclass(frozen=True)
class Query:
    """One panel query. `alert` names the row whose thresholds colour its fields;
    `discrete` says its values are integers (a `> 0` alert then starts at 1)."""

    ref: str
    expr: str
    legend: str
    instant: bool = False
    table: bool = False
    alert: str | None = None
    discrete: bool = False


def matcher_for(row: dict[str, Any]) -> str:
    """The variable matchers a row's expression gets on a panel: the account only
    where the row's series have one."""
    if "account" not in row["by"]:
        return VENDOR
    return VENDOR_ACCOUNT_OR_PAGE if row.get("requires_probe") == "any" else VENDOR_ACCOUNT


def alert_expr(table: Table, name: str, matcher: str | None = None) -> str:
    """The alert's measured value (its `expr`, without the comparison) for a panel."""
    row = table.alert(name)
    return promql.substitute(row["expr"], table, matcher or matcher_for(row)).strip()


def alert_query(table: Table, ref: str, name: str, legend: str, discrete: bool = False) -> Query:
    """An instant query of the alert's own value, coloured by the alert's thresholds."""
    expr = alert_expr(table, name)
    return Query(ref, expr, legend, instant=True, alert=name, discrete=discrete)


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


def alert_steps(
    table: Table, name: str, discrete: bool, vendor: str | None = None
) -> list[model.Threshold]:
    row = table.alert(name)
    threshold = row["threshold"]
    if vendor is not None:
        found = next(v for v in table.vendors if v.name == vendor)
        threshold = table.effective(row, found).threshold
    return steps(row["op"], threshold, row["priority"], discrete)


def overridden_vendors(table: Table, name: str) -> list[tuple[str, float]]:
    """Vendors whose effective threshold for the alert differs from the row's."""
    row = table.alert(name)
    return [
        (vendor.name, table.effective(row, vendor).threshold)
        for vendor in table.vendors
        if table.applies(row, vendor) and table.effective(row, vendor).threshold != row["threshold"]
    ]


def condition_text(table: Table, name: str) -> str:
    """`seconds (P95) > 5 (SaasProbeHighLatency, P2; clay: > 2)`: the alert's
    condition as a panel describes it."""
    row = table.alert(name)
    extra = "".join(
        f"; {vendor}: {row['op']} {promql.number(value)}"
        for vendor, value in overridden_vendors(table, name)
    )
    return (
        f"{row['unit']} {row['op']} {promql.number(row['threshold'])} "
        f"({name}, {row['priority']}{extra})"
    )


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
    row = table.alert(name)
    url = rules.runbook_url(table, row).replace("{{ $labels.vendor }}", vendor_var)
    return dashboard.DashboardLink(f"Runbook: {name}").url(url).target_blank(True)


def target(query: Query) -> prometheus.Dataquery:
    built = prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(query.ref)
    built = built.datasource(DATASOURCE)
    built = built.instant() if query.instant else built.range()
    if query.table:
        built = built.format(prom_model.PromQueryFormat.TABLE)
    return built


def value_mappings(levels: list[tuple[str, str]]) -> list[model.ValueMapping]:
    """Levels 0..n as (text, colour): the encoding of state panels."""
    return [
        model.ValueMap(
            {
                str(level): model.ValueMappingResult(text=text, color=color, index=level)
                for level, (text, color) in enumerate(levels)
            }
        )
    ]


def level_expr(metric: str, label: str, levels: list[str], selector: str, by: str) -> str:
    """One series per `by` whose value is the index of the state that is 1 now.

    The exporter sets one series per state, 1 for the current one: multiplying each
    by its level and taking the max leaves the current state's level.
    """
    parts = [
        f'{metric}{{{selector}, {label}="{state}"}} * {level}' for level, state in enumerate(levels)
    ]
    return f"max by ({by}) ({' or '.join(parts)})"


def encode(built: model.Dashboard) -> str:
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
