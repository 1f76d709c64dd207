"""Load rules/thresholds.yaml, validate it, and resolve per-vendor effective values."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

THRESHOLDS_PATH = Path("rules/thresholds.yaml")
SCHEMA_PATH = Path("rules/thresholds.schema.json")


class ThresholdsError(ValueError):
    """The threshold table is invalid; the message names the row and field."""


@dataclass(frozen=True)
class Vendor:
    name: str
    display_name: str
    status_page_url: str
    probes: tuple[str, ...]
    in_app: bool
    overrides: dict[str, dict[str, Any]]
    # action key -> this vendor's steps, replacing the table's generic ones
    runbook_steps: dict[str, list[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Effective:
    """One alert row's values for one vendor, after that vendor's overrides."""

    threshold: float
    for_: str
    enabled: bool


@dataclass(frozen=True)
class Table:
    settings: dict[str, Any]
    priorities: dict[str, dict[str, str]]
    vendors: tuple[Vendor, ...]
    groups: tuple[dict[str, str], ...]
    alerts: tuple[dict[str, Any], ...]
    runbook_actions: dict[str, dict[str, Any]]

    def rows_in(self, group_name: str) -> list[dict[str, Any]]:
        return [row for row in self.alerts if row["group"] == group_name]

    def alert(self, name: str) -> dict[str, Any]:
        return next(row for row in self.alerts if row["alert"] == name)

    def effective(self, row: dict[str, Any], vendor: Vendor) -> Effective:
        override = vendor.overrides.get(row["alert"], {})
        return Effective(
            threshold=override.get("threshold", row["threshold"]),
            for_=override.get("for", row["for"]),
            enabled=override.get("enabled", True),
        )

    def applies(self, row: dict[str, Any], vendor: Vendor) -> bool:
        """Whether the vendor has the series the row reads, and has not disabled it."""
        if not self.effective(row, vendor).enabled:
            return False
        if row["source"] == "in_app":
            return vendor.in_app
        needed = row.get("requires_probe")
        if needed is None:
            return True
        if needed == "any":
            return bool(vendor.probes)
        wanted = needed if isinstance(needed, list) else [needed]
        return any(probe in vendor.probes for probe in wanted)

    def severity(self, priority: str) -> str:
        return self.priorities[priority]["severity"]


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


def _semantic_errors(document: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    groups = {group["name"] for group in document["groups"]}
    names: dict[str, int] = {}
    actions = set(document["runbook_actions"])
    for index, row in enumerate(document["alerts"]):
        where = f"alerts[{index}] ({row['alert']})"
        if row["alert"] in names:
            errors.append(f"{where}: alert name already used by alerts[{names[row['alert']]}]")
        names.setdefault(row["alert"], index)
        if row["group"] not in groups:
            errors.append(
                f"{where} field group: expected one of {sorted(groups)}, got {row['group']!r}"
            )
        for key in row["runbook"]:
            if key not in actions:
                errors.append(
                    f"{where} field runbook: unknown runbook key {key!r}; "
                    f"expected one of {sorted(actions)}"
                )
        if "$vendor_matcher" not in row["expr"] and "$exporter_job" not in row["expr"]:
            errors.append(
                f"{where} field expr: expected a $vendor_matcher (or $exporter_job) selector"
            )
        if row["test"]["kind"] == "histogram" and row["threshold"] != row["test"]["buckets"][1]:
            errors.append(
                f"{where} field threshold: a histogram threshold must be a bucket boundary, "
                f"expected {row['test']['buckets'][1]} (test.buckets[1]), got {row['threshold']}"
            )
    for index, row in enumerate(document["alerts"]):
        gap = row["gap_alert"]
        if gap is not None and gap not in names:
            errors.append(
                f"alerts[{index}] ({row['alert']}) field gap_alert: unknown alert {gap!r}"
            )
    for index, vendor in enumerate(document["vendors"]):
        for alert in vendor["overrides"]:
            if alert not in names:
                errors.append(
                    f"vendors[{index}] ({vendor['name']}) field overrides: unknown alert {alert!r}"
                )
        for key in vendor.get("runbook_actions", {}):
            if key not in actions:
                errors.append(
                    f"vendors[{index}] ({vendor['name']}) field runbook_actions: unknown "
                    f"runbook key {key!r}; expected one of {sorted(actions)}"
                )
    return errors


def validate(document: Any, schema: dict[str, Any]) -> None:
    """Raise ThresholdsError listing every problem, one per line."""
    if not isinstance(document, dict):
        raise ThresholdsError("thresholds: expected a mapping at the top level")
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    messages = [_schema_message(document, error) for error in problems]
    if not messages:
        messages = _semantic_errors(document)
    if messages:
        raise ThresholdsError("invalid threshold table:\n" + "\n".join(messages))


def load(root: Path) -> Table:
    schema = json.loads((root / SCHEMA_PATH).read_text())
    document = yaml.safe_load((root / THRESHOLDS_PATH).read_text())
    return parse(document, schema)


def parse(document: Any, schema: dict[str, Any]) -> Table:
    validate(document, schema)
    vendors = tuple(
        Vendor(
            name=v["name"],
            display_name=v["display_name"],
            status_page_url=v["status_page_url"],
            probes=tuple(v["probes"]),
            in_app=v["in_app"],
            overrides=v["overrides"],
            runbook_steps={k: a["steps"] for k, a in v.get("runbook_actions", {}).items()},
        )
        for v in document["vendors"]
    )
    return Table(
        settings=document["settings"],
        priorities=document["priorities"],
        vendors=vendors,
        groups=tuple(document["groups"]),
        alerts=tuple(document["alerts"]),
        runbook_actions=document["runbook_actions"],
    )
