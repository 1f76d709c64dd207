"""Load rules/thresholds.yaml, validate it, and build the typed table (spec.py).

Validation has two layers: the JSON schema (structure, with the row and field of each
mistake), then the checks a schema cannot express (table_checks.py: names that must
refer to each other or to the catalog, the fields each kind of test needs), run on the
typed objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from saas_exporter.catalog import CATALOG, STATUSPAGE_PROBE, Catalog

from . import probe_sets
from .spec import (
    AlertRow,
    CauseBranch,
    CauseRule,
    ConstantSeries,
    Group,
    Kubernetes,
    Override,
    Priority,
    Record,
    Settings,
    Table,
    TestSpec,
    Vendor,
)
from .table_checks import semantic_errors

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


def _schema_errors(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [_schema_message(document, error) for error in problems]


def _fail(messages: list[str]) -> None:
    if messages:
        raise ThresholdsError("invalid threshold table:\n" + "\n".join(messages))


def load(root: Path, catalog: Catalog = CATALOG) -> Table:
    return load_table(root / THRESHOLDS_PATH, catalog)


def load_table(table: Path, catalog: Catalog = CATALOG) -> Table:
    """The table at `table`, checked against the schema beside it."""
    schema = json.loads((table.parent / SCHEMA_PATH.name).read_text())
    document = yaml.safe_load(table.read_text())
    return parse(document, schema, catalog)


def parse(document: Any, schema: dict[str, Any], catalog: Catalog = CATALOG) -> Table:
    """The typed table; ThresholdsError listing every problem, one per line."""
    if not isinstance(document, dict):
        raise ThresholdsError("thresholds: expected a mapping at the top level")
    _fail(_schema_errors(document, schema))
    table = _build(document, catalog)
    _fail(semantic_errors(table))
    return table


# --- building the typed objects from a schema-valid document ------------------------


def _settings(data: dict[str, Any]) -> Settings:
    kubernetes = data["kubernetes"]
    return Settings(
        runbook_base_url=data["runbook_base_url"],
        dashboard_base_url=data["dashboard_base_url"],
        dashboard_uid=data["dashboard_uid"],
        exporter_job=data["exporter_job"],
        kubernetes=Kubernetes(kubernetes["name"], dict(kubernetes["labels"])),
        evaluation_interval=data.get("evaluation_interval"),
    )


def _override(data: dict[str, Any]) -> Override:
    return Override(
        threshold=data.get("threshold"),
        for_=data.get("for"),
        enabled=data.get("enabled", True),
        min_accounts=data.get("min_accounts"),
    )


def _vendor(data: dict[str, Any], catalog: Catalog) -> Vendor:
    """A vendor with its kind's defaults and probes (none for a kind the catalog lacks:
    table_checks reports it)."""
    kind = catalog.kinds.get(data["kind"])
    page = data.get("status_page_url", kind.default_statuspage_url if kind else None)
    probes = kind.account_probes if kind else ()
    return Vendor(
        name=data["name"],
        kind=data["kind"],
        display_name=data.get("display_name") or (kind.display_name if kind else data["name"]),
        status_page_url=page,
        probes=(*probes, STATUSPAGE_PROBE) if page else probes,
        in_app=data["in_app"],
        overrides={alert: _override(o) for alert, o in data["overrides"].items()},
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
            ConstantSeries(c["series"], c["value"], c.get("per_minute", 0.0))
            for c in data.get("constant_series", [])
        ),
    )


def _cause(data: dict[str, Any]) -> CauseRule:
    return CauseRule(
        vendor_incident=data["vendor_incident"],
        default=data["default"],
        when=tuple(CauseBranch(w["cause"], w["meaning"], w["expr"]) for w in data.get("when", [])),
        vendor_wide=data.get("vendor_wide"),
    )


def _alert(data: dict[str, Any]) -> AlertRow:
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
        min_accounts=data.get("min_accounts"),
        inhibits=tuple(data.get("inhibits", ())),
        record=Record(data["record"]["name"], data["record"]["expr"]) if "record" in data else None,
        requires_probe=data.get("requires_probe"),
        requires_reason=data.get("requires_reason"),
        silenced_by_maintenance=data.get("silenced_by_maintenance", False),
    )


def _build(document: dict[str, Any], catalog: Catalog) -> Table:
    return Table(
        settings=_settings(document["settings"]),
        priorities={
            name: Priority(name, p["severity"], p["definition"], p["response_time"])
            for name, p in document["priorities"].items()
        },
        vendors=tuple(_vendor(v, catalog) for v in document["vendors"]),
        groups=tuple(Group(g["name"], g["title"]) for g in document["groups"]),
        alerts=tuple(_alert(row) for row in document["alerts"]),
        catalog=catalog,
        placeholders=probe_sets.placeholders(catalog),
    )
