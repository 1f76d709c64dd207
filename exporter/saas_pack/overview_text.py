"""The Markdown of the incident overview's text panel: every alert with its priority,
panel, condition per vendor and runbook links, then the vendors' status pages."""

from __future__ import annotations

from . import alerting, promql
from .spec import AlertRow, Table


def _conditions(table: Table, row: AlertRow) -> str:
    """`klaviyo, other vendors: > 5 for 5m; clay: > 2 for 10m`: each rendered rule."""
    conditions = []
    for instance in promql.instances(table, row):
        names = [v.name for v in instance.vendors]
        if not instance.matcher:
            names = [row.static_vendor or alerting.EXPORTER_VENDOR]
        elif not instance.matcher.startswith('vendor="'):
            names.append("other vendors")
        effective = instance.effective
        conditions.append(
            f"{', '.join(names)}: {row.op} {promql.number(effective.threshold)} "
            f"for {effective.for_}"
        )
    return "; ".join(conditions)


def _runbook_links(table: Table, row: AlertRow) -> str:
    if row.static_vendor:
        vendor_dirs = [row.static_vendor]
    else:
        vendor_dirs = [alerting.vendor_dir(vendor) for vendor in table.targets(row)]
    return " ".join(f"[{name}]({alerting.runbook_url(table, row, name)})" for name in vendor_dirs)


def thresholds_and_runbooks(table: Table) -> str:
    lines = [
        "Thresholds in force (rules/thresholds.yaml) and runbooks; "
        f"[runbook index]({table.settings.runbook_base_url}/README.md).",
        "",
        "| alert | priority | panel | fires when | runbook |",
        "|---|---|---|---|---|",
    ]
    for row in table.alerts:
        lines.append(
            f"| {row.name} | {row.priority} | `{row.dashboard_panel}` | "
            f"{_conditions(table, row)} ({row.unit}) | {_runbook_links(table, row)} |"
        )
    lines += [
        "",
        "Status pages: "
        + ", ".join(
            f"[{v.display_name}]({v.status_page_url})" for v in table.vendors if v.status_page_url
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"
