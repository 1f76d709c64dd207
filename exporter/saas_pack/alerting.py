"""What every output says about one alert row: the rule files it lives in, its labels,
annotations and links, and its condition in words.

The rule files, promtool tests, runbooks and dashboards all import this module instead
of each other, so an alert reads the same everywhere.
"""

from __future__ import annotations

from saas_exporter.silences.model import SILENCEABLE_LABEL, SILENCEABLE_VALUE

from . import promql
from .spec import AlertRow, Table, Vendor

RECORDING_GROUP = "saas-recording"
# The runbook directory (and `vendor` label) of alerts about the exporter itself.
EXPORTER_VENDOR = "all"
# Annotation templates see the expression's labels, not the rule's static ones.
VENDOR_TEMPLATE = "{{ $labels.vendor }}"


def rule_file_path(group_name: str) -> str:
    return f"rules/{group_name}.rules.yaml"


def group_names(table: Table) -> list[str]:
    """Every rule group in file order, the recording group first: the others read it."""
    return [RECORDING_GROUP, *(group.name for group in table.groups)]


def vendor_dir(vendor: Vendor | None) -> str:
    """The runbook directory of a vendor's pages; the exporter's for None."""
    return vendor.name if vendor else EXPORTER_VENDOR


def vendor_in_url(row: AlertRow, vendor: str | None = None) -> str:
    """The vendor part of the row's links: its static vendor (a row about the exporter
    has one page), else `vendor` (a name or a dashboard variable), else the template."""
    return row.static_vendor or vendor or VENDOR_TEMPLATE


def runbook_url(table: Table, row: AlertRow, vendor: str | None = None) -> str:
    base = table.settings.runbook_base_url
    return f"{base}/{vendor_in_url(row, vendor)}/{row.name}.md"


def dashboard_url(table: Table, uid: str) -> str:
    return f"{table.settings.dashboard_base_url}/d/{uid}/{uid}"


def overview_url(table: Table, row: AlertRow, vendor: str | None = None) -> str:
    """The incident overview, with the vendor variable set to the alert's vendor."""
    url = dashboard_url(table, table.settings.dashboard_uid)
    return f"{url}?var-vendor={vendor_in_url(row, vendor)}"


def labels(table: Table, row: AlertRow) -> dict[str, str]:
    result = dict(row.static_labels)
    result["priority"] = row.priority
    result["severity"] = table.severity(row.priority)
    if row.cause.is_static:
        result["cause"] = row.cause.default
    if row.silenced_by_maintenance:
        result[SILENCEABLE_LABEL] = SILENCEABLE_VALUE
    return result


def alert_annotations(table: Table, row: AlertRow) -> dict[str, str]:
    return {
        "summary": row.summary,
        "description": row.description,
        "runbook_url": runbook_url(table, row),
        "dashboard_url": overview_url(table, row),
    }


def fires_when(instance: promql.RuleInstance) -> str:
    """`throttled requests per minute > 5 for 5m`: one rule instance's condition."""
    row, effective = instance.row, instance.effective
    return f"{row.unit} {row.op} {promql.number(effective.threshold)} for {effective.for_}"


def instance_for(table: Table, row: AlertRow, vendor: Vendor | None) -> promql.RuleInstance:
    """The rendered rule that covers this vendor (the exporter's for None)."""
    for instance in promql.instances(table, row):
        if vendor is None or vendor in instance.vendors:
            return instance
    raise LookupError(f"no rule instance of {row.name} covers {vendor_dir(vendor)}")
