"""Turn one threshold row into the PromQL of its rule instances."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import cause_rules
from .spec import AlertRow, Effective, Table, Vendor

# `$name` in a row's expression; ROW_PLACEHOLDERS besides the catalog's (probe_sets).
PLACEHOLDER = re.compile(r"\$([a-z_]+)")
ROW_PLACEHOLDERS = ("vendor_matcher", "exporter_job", "min_accounts", "threshold")
SET_OPERATOR = re.compile(r"\b(or|and|unless)\b")
# The status-page part of the cause rule, recorded for dashboards, triage and people; the
# alerts compute it inline, so their cause never lags an evaluation behind.
VENDOR_INCIDENT_RECORD = "saas:vendor_incident:bool"
# When each firing series of a held alert started to hold (see `hold`).
SINCE_RECORD = "saas:alert_condition_since:timestamp"


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


def substitute(
    text: str,
    table: Table,
    matcher: str,
    min_accounts: int | None = None,
    threshold: float | None = None,
) -> str:
    """The text with its placeholders filled in: `$vendor_matcher` with `matcher`,
    `$exporter_job` from the settings, `$min_accounts` and `$threshold` from the
    effective values, the catalog's from table.placeholders."""
    values = {
        **table.placeholders,
        "vendor_matcher": matcher,
        "exporter_job": table.settings.exporter_job,
        "min_accounts": "" if min_accounts is None else str(min_accounts),
        "threshold": "" if threshold is None else number(threshold),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def measured(table: Table, instance: RuleInstance) -> str:
    """The instance's measured value: the row's `expr`, placeholders filled in."""
    effective = instance.effective
    return substitute(
        instance.row.expr, table, instance.matcher, effective.min_accounts, effective.threshold
    )


def condition(table: Table, instance: RuleInstance) -> str:
    row = instance.row
    expr = measured(table, instance)
    if SET_OPERATOR.search(expr):
        # `a or b > 1` compares only b: set operators bind looser than comparisons.
        expr = f"({expr})"
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


def vendor_incident_expr(table: Table) -> str:
    """The status page's part of the cause rule (cause_rules.page_evidence)."""
    return cause_rules.page_evidence(table.placeholders["statuspage_probe"])


def vendor_side_expr(table: Table, row: AlertRow) -> str | None:
    """1 per vendor whose evidence makes this row's alerts vendor-side, None if nothing
    can: the status page when `vendor_incident`, the named vendor-wide row's condition
    (at each vendor's own thresholds) when `vendor_wide`."""
    parts = []
    if row.cause.vendor_incident:
        parts.append(vendor_incident_expr(table))
    if row.cause.vendor_wide is not None:
        wide = table.alert(row.cause.vendor_wide)
        parts += [condition(table, wide_instance) for wide_instance in instances(table, wide)]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "max by (vendor) (\n" + _indent("\nor\n".join(f"({p})" for p in parts)) + "\n)"


def held(instance: RuleInstance) -> bool:
    """Whether the instance keeps its `for` in a since-record instead of Prometheus's
    `for`: an alert whose `cause` can change while it is pending. A `cause` label that
    flips gives the alert a new identity; with Prometheus's `for` that restarts the
    wait, so the page would come `for` after the change instead of after the failure."""
    return not instance.row.cause.is_static and instance.effective.for_seconds > 0


def since_record(table: Table, instance: RuleInstance) -> dict[str, object]:
    """The recording rule of when each of the instance's series started to hold: its
    own earlier value while the condition still holds, else now. The alert (just after
    it in the same group) fires once that is `for` ago, whatever its cause says."""
    row = instance.row
    on = f"on ({', '.join(row.by)})"
    keep = f'max by ({", ".join(row.by)}) ({SINCE_RECORD}{{alert="{row.name}"}})'
    cond = condition(table, instance)
    expr = (
        f"(\n{_indent(keep)}\n  and {on} (\n{_indent(_indent(cond))}\n  )\n)\n"
        f"or {on}\n"
        f"(\n  count by ({', '.join(row.by)}) (\n{_indent(_indent(cond))}\n  ) * 0 + time()\n)"
    )
    return {"record": SINCE_RECORD, "expr": expr + "\n", "labels": {"alert": row.name}}


def hold(instance: RuleInstance) -> str:
    """The alert's `for`, as a condition on its since-record (holds.py reads it back)."""
    row = instance.row
    seconds = number(instance.effective.for_seconds)
    return (
        f'and on ({", ".join(row.by)}) (time() - {SINCE_RECORD}{{alert="{row.name}"}} >= {seconds})'
    )


def alert_expr(table: Table, instance: RuleInstance) -> str:
    """The condition, with a `cause` label unless the row's cause is static.

    Each branch keeps only the series the earlier branches did not claim, so exactly
    one cause is attached: the vendor's side first (computed inline, so it never lags),
    then the row's `when` filters in order, then the row's default. A held instance
    ends with its hold.
    """
    row = instance.row
    base = f"({condition(table, instance)})"
    if row.cause.is_static:
        return condition(table, instance)
    on_labels = ", ".join(row.by)
    branches: list[str] = []
    vendor_side = vendor_side_expr(table, row)
    if vendor_side is not None:
        evidence = f"on (vendor) (\n{_indent(vendor_side)}\n)"
        branches.append(_with_cause(f"{base}\nand {evidence}", "vendor"))
        base = f"{base}\nunless {evidence}"
    for when in row.cause.when:
        when_expr = substitute(when.expr, table, instance.matcher)
        branches.append(
            _with_cause(f"{base}\nand on ({on_labels}) (\n{_indent(when_expr)}\n)", when.cause)
        )
        base = f"{base}\nunless on ({on_labels}) (\n{_indent(when_expr)}\n)"
    branches.append(_with_cause(base, row.cause.default))
    expr = "\nor\n".join(branches)
    if held(instance):
        return f"(\n{_indent(expr)}\n)\n{hold(instance)}"
    return expr
