"""Load rules/thresholds.yaml, validate it, and build the typed table (spec.py).

Validation has two layers: the JSON schema (structure, with the row and field of each
mistake), then the checks a schema cannot express (names that must refer to each other,
the fields each kind of test needs), run on the typed objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .spec import (
    ANY_PROBE,
    AlertRow,
    CauseBranch,
    CauseRule,
    ConstantSeries,
    Group,
    Kubernetes,
    Override,
    Priority,
    RunbookAction,
    Settings,
    Table,
    TestSpec,
    Vendor,
)

THRESHOLDS_PATH = Path("rules/thresholds.yaml")
SCHEMA_PATH = Path("rules/thresholds.schema.json")


class ThresholdsError(ValueError):
    """The threshold table is invalid; the message names the row and field."""


def _path_text(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _row_label(document: dict[str, Any], path: list[Any]) -> str:
    """'alerts[3] (SaasApiRateLimited)' for errors inside an alert row."""
    if len(path) >= 2 and path[0] in ("alerts", "vendors") and isinstance(path[1], int):
        rows = document.get(path[0]) or []
        row = rows[path[1]] if path[1] < len(rows) else {}
        key = "alert" if path[0] == "alerts" else "name"
        if isinstance(row, dict) and isinstance(row.get(key), str):
            return f"{path[0]}[{path[1]}] ({row[key]})"
    return ""


def _schema_message(document: dict[str, Any], error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    where = _path_text(path)
    row = _row_label(document, path)
    if row:
        rest = _path_text(path[2:])
        where = f"{row}" + (f" field {rest}" if path[2:] else "")
    expected = error.schema.get("description") if isinstance(error.schema, dict) else None
    detail = error.message
    if error.validator == "pattern" and expected:
        detail = f"expected {expected}, got {error.instance!r}"
    elif error.validator == "enum":
        detail = f"expected one of {error.validator_value}, got {error.instance!r}"
    return f"{where}: {detail}"


# The test fields each kind of generated test reads (promtool_tests.Drive).
TEST_FIELDS = {
    "counter": ("window_minutes", "divisor"),
    "histogram": ("window_minutes", "buckets"),
    "deadline": ("direction", "divisor"),
    "timestamp": ("divisor",),
    "gauge": (),
    "absence": (),
}
# Ops for which a gauge test can derive its levels (threshold, threshold +- 1).
DERIVED_LEVEL_OPS = (">", ">=", "<", "<=")


def _row_errors(table: Table, index: int, row: AlertRow, first_index: dict[str, int]) -> list[str]:
    where = f"alerts[{index}] ({row.name})"
    errors: list[str] = []
    if first_index[row.name] != index:
        errors.append(f"{where}: alert name already used by alerts[{first_index[row.name]}]")
    groups = sorted(group.name for group in table.groups)
    if row.group not in groups:
        errors.append(f"{where} field group: expected one of {groups}, got {row.group!r}")
    actions = sorted(table.runbook_actions)
    for key in row.runbook:
        if key not in table.runbook_actions:
            errors.append(
                f"{where} field runbook: unknown runbook key {key!r}; expected one of {actions}"
            )
    if "$vendor_matcher" not in row.expr and "$exporter_job" not in row.expr:
        errors.append(f"{where} field expr: expected a $vendor_matcher (or $exporter_job) selector")
    if not row.per_vendor_series and row.static_vendor is None:
        errors.append(
            f"{where} field static_labels: a row without $vendor_matcher needs a static "
            "vendor label (its runbook directory)"
        )
    test = row.test
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


def _semantic_errors(table: Table) -> list[str]:
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
    actions = sorted(table.runbook_actions)
    for index, vendor in enumerate(table.vendors):
        where = f"vendors[{index}] ({vendor.name})"
        for alert in vendor.overrides:
            if alert not in first_index:
                errors.append(f"{where} field overrides: unknown alert {alert!r}")
        for key in vendor.runbook_steps:
            if key not in table.runbook_actions:
                errors.append(
                    f"{where} field runbook_actions: unknown runbook key {key!r}; "
                    f"expected one of {actions}"
                )
    return errors


def _schema_errors(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [_schema_message(document, error) for error in problems]


def _fail(messages: list[str]) -> None:
    if messages:
        raise ThresholdsError("invalid threshold table:\n" + "\n".join(messages))


def load(root: Path) -> Table:
    return load_table(root / THRESHOLDS_PATH)


def load_table(table: Path) -> Table:
    """The table at `table`, checked against the schema beside it."""
    schema = json.loads((table.parent / SCHEMA_PATH.name).read_text())
    document = yaml.safe_load(table.read_text())
    return parse(document, schema)


def parse(document: Any, schema: dict[str, Any]) -> Table:
    """The typed table; ThresholdsError listing every problem, one per line."""
    if not isinstance(document, dict):
        raise ThresholdsError("thresholds: expected a mapping at the top level")
    _fail(_schema_errors(document, schema))
    table = _build(document)
    _fail(_semantic_errors(table))
    return table


# --- building the typed objects from a schema-valid document ------------------------


def _settings(data: dict[str, Any]) -> Settings:
    kubernetes = data["kubernetes"]
    return Settings(
        runbook_base_url=data["runbook_base_url"],
        dashboard_base_url=data["dashboard_base_url"],
        dashboard_uid=data["dashboard_uid"],
        exporter_job=data["exporter_job"],
        evaluation_interval=data["evaluation_interval"],
        kubernetes=Kubernetes(kubernetes["name"], dict(kubernetes["labels"])),
    )


def _override(data: dict[str, Any]) -> Override:
    return Override(
        threshold=data.get("threshold"), for_=data.get("for"), enabled=data.get("enabled", True)
    )


def _vendor(data: dict[str, Any]) -> Vendor:
    return Vendor(
        name=data["name"],
        display_name=data["display_name"],
        status_page_url=data["status_page_url"],
        probes=tuple(data["probes"]),
        in_app=data["in_app"],
        overrides={alert: _override(o) for alert, o in data["overrides"].items()},
        runbook_steps={
            key: tuple(action["steps"]) for key, action in data.get("runbook_actions", {}).items()
        },
    )


def _test(data: dict[str, Any]) -> TestSpec:
    buckets = data.get("buckets")
    return TestSpec(
        kind=data["kind"],
        series=data["series"],
        labels=dict(data.get("labels", {})),
        absent_labels=data.get("absent_labels"),
        below=data.get("below"),
        above=data.get("above"),
        window_minutes=data.get("window_minutes"),
        divisor=data.get("divisor"),
        buckets=tuple(buckets) if buckets else None,
        direction=data.get("direction"),
        constant_series=tuple(
            ConstantSeries(c["series"], c["value"]) for c in data.get("constant_series", [])
        ),
    )


def _cause(data: dict[str, Any]) -> CauseRule:
    return CauseRule(
        vendor_incident=data["vendor_incident"],
        default=data["default"],
        when=tuple(CauseBranch(w["cause"], w["meaning"], w["expr"]) for w in data.get("when", [])),
    )


def _alert(data: dict[str, Any]) -> AlertRow:
    # One probe name, or a list of them, becomes a tuple; None and "any" stay.
    needed = data.get("requires_probe")
    if isinstance(needed, list) or (isinstance(needed, str) and needed != ANY_PROBE):
        needed = tuple(needed) if isinstance(needed, list) else (needed,)
    return AlertRow(
        name=data["alert"],
        group=data["group"],
        source=data["source"],
        priority=data["priority"],
        meaning=data["meaning"],
        summary=data["summary"],
        description=data["description"],
        expr=data["expr"],
        op=data["op"],
        threshold=data["threshold"],
        unit=data["unit"],
        for_=data["for"],
        by=tuple(data["by"]),
        cause=_cause(data["cause"]),
        runbook=tuple(data["runbook"]),
        dashboard_panel=data["dashboard_panel"],
        gap_alert=data["gap_alert"],
        test=_test(data["test"]),
        static_labels=dict(data.get("static_labels", {})),
        also_absent=data.get("also_absent", False),
        per_vendor=data.get("per_vendor", False),
        requires_probe=needed,
    )


def _build(document: dict[str, Any]) -> Table:
    return Table(
        settings=_settings(document["settings"]),
        priorities={
            name: Priority(name, p["severity"], p["definition"], p["response_time"])
            for name, p in document["priorities"].items()
        },
        vendors=tuple(_vendor(v) for v in document["vendors"]),
        groups=tuple(Group(g["name"], g["title"]) for g in document["groups"]),
        alerts=tuple(_alert(row) for row in document["alerts"]),
        runbook_actions={
            key: RunbookAction(key, a["title"], a["branch"], tuple(a["steps"]))
            for key, a in document["runbook_actions"].items()
        },
    )
