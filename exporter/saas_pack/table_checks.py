"""The threshold table's checks that a JSON schema cannot express: names that must refer
to each other or to the catalog (groups, gap alerts, overrides, vendor kinds, actions,
causes, reasons, placeholders) and the fields each kind of test reads.

Each problem is one line naming the row and field, like the schema's messages.
"""

from __future__ import annotations

import re

from .probe_sets import PROBE_SETS
from .promql import PLACEHOLDER, ROW_PLACEHOLDERS
from .spec import AlertRow, Table

# The test fields each kind of generated test reads (promtool_drive.Drive).
TEST_FIELDS = {
    "counter": ("window_minutes", "divisor"),
    "histogram": ("window_minutes", "buckets"),
    "deadline": ("direction", "divisor"),
    "timestamp": ("divisor",),
    "gauge": (),
    "disappearance": (),
    "account_share": (),
}
# Ops for which a gauge test can derive its levels (threshold, threshold +- 1).
DERIVED_LEVEL_OPS = (">", ">=", "<", "<=")
# A `reason` matcher's value: failure reasons, or placeholders of reason lists.
REASON_MATCHER = re.compile(r'\breason\s*(?:=~|!~|!=|=)\s*"([^"]*)"')


def _expression_errors(table: Table, where: str, field: str, expr: str) -> list[str]:
    errors = []
    known = {*ROW_PLACEHOLDERS, *table.placeholders}
    for name in PLACEHOLDER.findall(expr):
        if name not in known:
            errors.append(
                f"{where} field {field}: unknown placeholder ${name}; expected one of "
                f"{sorted(known)}"
            )
    for value in REASON_MATCHER.findall(expr):
        for reason in value.split("|"):
            if not reason.startswith("$") and reason not in table.catalog.failure_reasons:
                errors.append(
                    f"{where} field {field}: unknown failure reason {reason!r} "
                    "(saas_exporter/catalog/vendors.yaml)"
                )
    return errors


def _cause_errors(table: Table, where: str, row: AlertRow) -> list[str]:
    causes = sorted(table.catalog.causes)
    errors = []
    named = [("cause.default", row.cause.default)]
    named += [(f"cause.when[{i}].cause", w.cause) for i, w in enumerate(row.cause.when)]
    for field, cause in named:
        if cause not in table.catalog.causes:
            errors.append(f"{where} field {field}: expected one of {causes}, got {cause!r}")
    for i, when in enumerate(row.cause.when):
        errors += _expression_errors(table, where, f"cause.when[{i}].expr", when.expr)
    wide = row.cause.vendor_wide
    if wide is not None:
        rows = {r.name: r for r in table.alerts}
        if wide not in rows or rows[wide].min_accounts is None:
            errors.append(
                f"{where} field cause.vendor_wide: expected a vendor-wide row (one with "
                f"min_accounts), got {wide!r}"
            )
    return errors


def _inhibit_errors(table: Table, where: str, row: AlertRow) -> list[str]:
    """An inhibiting alert must fire before the alerts it mutes: its `for` shorter than
    theirs for every vendor, or their pages go out before it arrives."""
    errors = []
    names = {r.name for r in table.alerts}
    for name in row.inhibits:
        if name not in names:
            errors.append(f"{where} field inhibits: unknown alert {name!r}")
            continue
        target = table.alert(name)
        for vendor in [None, *table.vendors]:
            mine = table.effective(row, vendor).for_seconds
            theirs = table.effective(target, vendor).for_seconds
            if mine >= theirs:
                who = vendor.name if vendor else "the default rule"
                errors.append(
                    f"{where} field for: must be shorter than {name}'s for ({who}: "
                    f"{mine:g}s >= {theirs:g}s), or its pages go out before the inhibition"
                )
    return errors


def _maintenance_errors(table: Table, where: str, row: AlertRow) -> list[str]:
    """A row an announced maintenance may silence must be able to say cause="vendor"
    (the silence matches nothing else), and must never be about a rejected key or a
    wrong account (those page during a maintenance too)."""
    if not row.silenced_by_maintenance:
        return []
    errors = []
    if row.cause.is_static and row.cause.default != "vendor":
        errors.append(
            f"{where} field silenced_by_maintenance: its cause is always "
            f"{row.cause.default!r}, never vendor, so no maintenance silence matches it"
        )
    key_rejected = set(table.catalog.reasons_of_class("key_rejected"))
    for key in row.runbook:
        action = table.catalog.actions.get(key)
        if action is not None and key_rejected & set(action.reasons):
            errors.append(
                f"{where} field silenced_by_maintenance: its runbook {key!r} answers a "
                "rejected key or a wrong account, which pages during a maintenance too"
            )
    return errors


def _reference_errors(table: Table, where: str, row: AlertRow) -> list[str]:
    errors = []
    groups = sorted(group.name for group in table.groups)
    if row.group not in groups:
        errors.append(f"{where} field group: expected one of {groups}, got {row.group!r}")
    actions = sorted(table.catalog.actions)
    for key in row.runbook:
        if key not in table.catalog.actions:
            errors.append(
                f"{where} field runbook: unknown runbook key {key!r}; expected one of {actions}"
            )
    if row.requires_probe is not None and row.requires_probe not in PROBE_SETS:
        errors.append(
            f"{where} field requires_probe: expected one of {sorted(PROBE_SETS)}, "
            f"got {row.requires_probe!r}"
        )
    reason = row.requires_reason
    if reason is not None and reason not in table.catalog.failure_reasons:
        errors.append(f"{where} field requires_reason: unknown failure reason {reason!r}")
    return errors


def _test_errors(where: str, row: AlertRow) -> list[str]:
    errors = []
    test = row.test
    texts = [test.series, *test.labels.values(), *(c.series for c in test.constant_series)]
    reads_probes = row.requires_probe is not None or row.requires_reason is not None
    if not reads_probes and any("$probe" in text for text in texts):
        errors.append(
            f"{where} field test: $probe needs the row's requires_probe or requires_reason"
        )
    for name in TEST_FIELDS[test.kind]:
        if getattr(test, name) is None:
            errors.append(f"{where} field test.{name}: a {test.kind} test needs {name}")
    if test.kind == "histogram" and test.buckets and row.threshold != test.buckets[1]:
        errors.append(
            f"{where} field threshold: a histogram threshold must be a bucket boundary, "
            f"expected {test.buckets[1]} (test.buckets[1]), got {row.threshold}"
        )
    levels_needed = test.kind in ("gauge", "deadline") and row.op not in DERIVED_LEVEL_OPS
    if levels_needed and (test.below is None or test.above is None):
        errors.append(
            f"{where} field test: a {test.kind} test of op {row.op!r} needs below and above"
        )
    return errors


def _row_errors(table: Table, index: int, row: AlertRow, first_index: dict[str, int]) -> list[str]:
    where = f"alerts[{index}] ({row.name})"
    errors: list[str] = []
    if first_index[row.name] != index:
        errors.append(f"{where}: alert name already used by alerts[{first_index[row.name]}]")
    errors += _reference_errors(table, where, row)
    if "$vendor_matcher" not in row.expr and "$exporter_job" not in row.expr:
        errors.append(f"{where} field expr: expected a $vendor_matcher (or $exporter_job) selector")
    errors += _expression_errors(table, where, "expr", row.expr)
    if row.record is not None:
        errors += _expression_errors(table, where, "record.expr", row.record.expr)
    if ("$min_accounts" in row.expr) != (row.min_accounts is not None):
        errors.append(f"{where} field min_accounts: needed exactly when expr uses $min_accounts")
    errors += _cause_errors(table, where, row)
    errors += _inhibit_errors(table, where, row)
    errors += _maintenance_errors(table, where, row)
    if not row.per_vendor_series and row.static_vendor is None:
        errors.append(
            f"{where} field static_labels: a row without $vendor_matcher needs a static "
            "vendor label (its runbook directory)"
        )
    return errors + _test_errors(where, row)


def semantic_errors(table: Table) -> list[str]:
    errors: list[str] = []
    first_index: dict[str, int] = {}
    for index, row in enumerate(table.alerts):
        first_index.setdefault(row.name, index)
    for index, row in enumerate(table.alerts):
        errors += _row_errors(table, index, row, first_index)
    for index, row in enumerate(table.alerts):
        if row.gap_alert is not None and row.gap_alert not in first_index:
            errors.append(
                f"alerts[{index}] ({row.name}) field gap_alert: unknown alert {row.gap_alert!r}"
            )
    kinds = sorted(table.catalog.kinds)
    for index, vendor in enumerate(table.vendors):
        where = f"vendors[{index}] ({vendor.name})"
        if vendor.kind not in table.catalog.kinds:
            errors.append(f"{where} field kind: expected one of {kinds}, got {vendor.kind!r}")
        for alert, override in vendor.overrides.items():
            if alert not in first_index:
                errors.append(f"{where} field overrides: unknown alert {alert!r}")
            elif override.min_accounts and table.alert(alert).min_accounts is None:
                errors.append(
                    f"{where} field overrides.{alert}.min_accounts: {alert} has no min_accounts"
                )
    return errors
