"""The config's JSON Schema: the structure from schemas/config.schema.json, the per-kind
rules (probe names, api section, revision) rendered from the catalog."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

import jsonschema

from ..catalog import CATALOG, VendorKind
from ..redaction import redact
from .checks import describe_value


def format_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _names(names: Iterable[str]) -> str:
    return ", ".join(names)


def _kind_rules(kind: VendorKind) -> dict[str, Any]:
    """What a vendor of this kind may and must say, as an if/then block."""
    probes = list(kind.probes)
    budgeted = list(kind.account_probes)
    speaks_api_get = any(spec.protocol == "api_get" for spec in kind.probes.values())
    then: dict[str, Any] = {
        "properties": {
            "intervals": {
                "propertyNames": {
                    "enum": probes,
                    "x-expected": f"a {kind.name} probe name ({_names(probes)})",
                }
            },
            "rate_limits_per_minute": {
                "propertyNames": {
                    "enum": budgeted,
                    "x-expected": f"a {kind.name} probe name ({_names(budgeted)})",
                }
            },
        },
        "required": [],
    }
    props = then["properties"]
    if speaks_api_get:
        then["required"].append("api")
        if kind.default_auth_header is None:
            props["api"] = {"required": ["auth_header"]}
    else:
        props["api"] = {
            "not": {},
            "x-expected": f"no api section (the {kind.name} probes are built in)",
        }
    if kind.default_revision is None:
        props["revision"] = {
            "not": {},
            "x-expected": "no revision (a Klaviyo header); put other static headers in api.headers",
        }
    if kind.requires_api_url:
        then["required"].append("api_url")
    return {
        "if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
        "then": then,
    }


@functools.cache
def config_schema() -> dict[str, Any]:
    text = resources.files("saas_exporter").joinpath("schemas/config.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    vendor = schema["$defs"]["vendor"]
    kinds = list(CATALOG.kinds)
    vendor["properties"]["kind"] = {"enum": kinds, "x-expected": f"one of: {_names(kinds)}"}
    vendor["allOf"] = [_kind_rules(kind) for kind in CATALOG.kinds.values()]
    return schema


def _describe(error: jsonschema.ValidationError) -> str:
    path = format_path(error.absolute_path)
    if error.validator in ("required", "additionalProperties"):
        return redact(f"{path}: {_short(error.message)}")
    expected = error.schema.get("x-expected") if isinstance(error.schema, dict) else None
    if expected:
        return redact(f"{path}: expected {expected}, got {describe_value(error.instance)}")
    return redact(f"{path}: {_short(error.message)}")


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def schema_problems(data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(config_schema())
    problems = [
        _describe(error)
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    return sorted(set(problems), key=problems.index)
