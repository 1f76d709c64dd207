"""Turn one threshold row into the PromQL of its rule instances."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .spec import AlertRow, Effective, Table, Vendor

# `$name` in a row's expression; ROW_PLACEHOLDERS besides the catalog's (probe_sets).
PLACEHOLDER = re.compile(r"\$([a-z_]+)")
ROW_PLACEHOLDERS = ("vendor_matcher", "exporter_job")
VENDOR_INCIDENT_RECORD = "saas:vendor_incident:bool"
# A vendor incident is any non-green indicator or any component not operational,
# maintenance included: the decision tree's "status page shows an incident" branch.
VENDOR_INCIDENT_EXPR = (
    "max by (vendor) (\n"
    '  saas_statuspage_indicator{indicator=~"minor|major|critical|maintenance"}\n'
    "  or\n"
    '  saas_statuspage_component_status{status!="operational"}\n'
    ")"
)


@dataclass(frozen=True)
class RuleInstance:
    """One rendered alerting rule: a row at one set of effective values."""

    row: AlertRow
    matcher: str
    effective: Effective
    vendors: tuple[Vendor, ...]


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def instances(table: Table, row: AlertRow) -> list[RuleInstance]:
    """The default rule plus one rule per vendor whose overrides differ.

    The default rule has no vendor list, so vendors the table does not name (e.g. an
    application instrumenting a vendor the exporter does not probe) are covered.
    """
    default = table.default(row)
    if not row.per_vendor_series:
        return [RuleInstance(row, "", default, ())]
    applicable = [v for v in table.vendors if table.applies(row, v)]
    if row.per_vendor:
        return [
            RuleInstance(row, f'vendor="{v.name}"', table.effective(row, v), (v,))
            for v in applicable
        ]
    special = [v for v in table.vendors if table.effective(row, v) != default]
    excluded = "|".join(v.name for v in special)
    matcher = f'vendor!~"{excluded}"' if special else 'vendor!=""'
    result = [RuleInstance(row, matcher, default, tuple(v for v in applicable if v not in special))]
    result += [
        RuleInstance(row, f'vendor="{v.name}"', table.effective(row, v), (v,))
        for v in special
        if v in applicable
    ]
    return result


def substitute(text: str, table: Table, matcher: str) -> str:
    """The text with its placeholders filled in: `$vendor_matcher` with `matcher`,
    `$exporter_job` from the settings, the catalog's from table.placeholders."""
    values = {
        **table.placeholders,
        "vendor_matcher": matcher,
        "exporter_job": table.settings.exporter_job,
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def condition(table: Table, instance: RuleInstance) -> str:
    row = instance.row
    expr = substitute(row.expr, table, instance.matcher)
    compared = f"{expr} {row.op} {number(instance.effective.threshold)}"
    if row.also_absent:
        # A target that is not scraped at all has no series to compare; `instance`
        # says so instead of rendering as an empty string.
        missing = f'label_replace(absent({expr}), "instance", "none", "", "")'
        return f"({compared})\nor\n({missing} == 1)"
    return compared


def _with_cause(body: str, cause: str) -> str:
    return f'label_replace(\n{_indent(body)},\n  "cause", "{cause}", "", ""\n)'


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def alert_expr(table: Table, instance: RuleInstance) -> str:
    """The condition, with a `cause` label unless the row's cause is static.

    Each branch keeps only the series the earlier branches did not claim, so exactly
    one cause is attached: vendor incident first, then the row's `when` filters in
    order, then the row's default.
    """
    row = instance.row
    base = f"({condition(table, instance)})"
    if row.cause.is_static:
        return condition(table, instance)
    on_labels = ", ".join(row.by)
    branches: list[str] = []
    if row.cause.vendor_incident:
        incident = f"on (vendor) ({VENDOR_INCIDENT_RECORD} == 1)"
        branches.append(_with_cause(f"{base}\nand {incident}", "vendor"))
        base = f"{base}\nunless {incident}"
    for when in row.cause.when:
        when_expr = substitute(when.expr, table, instance.matcher)
        branches.append(
            _with_cause(f"{base}\nand on ({on_labels}) (\n{_indent(when_expr)}\n)", when.cause)
        )
        base = f"{base}\nunless on ({on_labels}) (\n{_indent(when_expr)}\n)"
    branches.append(_with_cause(base, row.cause.default))
    return "\nor\n".join(branches)
