"""Validating manifests: built-in kinds against the Kubernetes schemas
(kubernetes-validate), custom resources against the vendored prometheus-operator CRD
schemas (tests/fixtures/prometheus-operator-crds/, SOURCE.md), strictly: an unknown
field is an error, as with kubectl's server-side field validation."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33.0"
CRDS = Path(__file__).parent / "fixtures" / "prometheus-operator-crds"


class CrdLoader(yaml.SafeLoader):
    """The CRDs hold a bare `=` (a matcher type), which YAML 1.1 reads as the 'value'
    tag: keep it a string."""


CrdLoader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


def _strict(schema: Any) -> Any:
    """The CRD schema with unknown fields refused (the API server would prune or, with
    strict field validation, refuse them), and Go's inline regex flags moved where
    Python's re accepts them."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and "(?i)" in pattern[1:]:
            schema["pattern"] = "(?i)" + pattern.replace("(?i)", "")
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict openAPIV3Schema of that served version."""
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.load(path.read_text(), CrdLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schemas[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return schemas


def problems(manifest: dict[str, Any]) -> list[str]:
    """Every schema problem of one manifest, each with its path; [] when valid."""
    key = (manifest.get("apiVersion"), manifest.get("kind"))
    schema = crd_schemas().get(key)
    if schema is None:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            where = ".".join(str(p) for p in err.path)
            return [f"{key[1]} {where}: {err.message}"]
        except kubernetes_validate.InvalidSchemaError as err:
            return [f"{key[1]}: no Kubernetes schema: {err}"]
        return []
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{key[1]} {'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]
