"""Read vendors.yaml into the typed catalog, checking every cross-reference."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from ..durations import parse_positive_duration
from .key_shapes import KEY_SHAPES
from .model import (
    STATUSPAGE_PROBE,
    Action,
    Catalog,
    Cause,
    FailureReason,
    ProbeSpec,
    StatusPageFormat,
    TriageBranch,
    VendorKind,
)


class CatalogError(Exception):
    """The shipped catalog is inconsistent: a packaging or editing mistake."""


def _probe(name: str, raw: dict[str, Any], per_account: bool) -> ProbeSpec:
    steady = raw.get("steady_limit_per_minute")
    burst = raw.get("burst_limit_per_second")
    return ProbeSpec(
        name=name,
        protocol=raw["protocol"],
        request=raw["request"],
        scope=raw.get("scope"),
        steady_limit_per_minute=float(steady) if steady is not None else None,
        burst_limit_per_second=float(burst) if burst is not None else None,
        interval_seconds=parse_positive_duration(raw["interval"]),
        latency_percentile=bool(raw.get("latency_percentile", False)),
        reasons=tuple(raw["reasons"]),
        per_account=per_account,
    )


def _kind(name: str, raw: dict[str, Any], statuspage: dict[str, Any]) -> VendorKind:
    probes = {p: _probe(p, spec, True) for p, spec in raw["probes"].items()}
    probes[STATUSPAGE_PROBE] = _probe(
        STATUSPAGE_PROBE,
        {**statuspage, "protocol": "statuspage", "request": "GET status page JSON"},
        per_account=False,
    )
    shape = raw["key_shape"]
    api_components = raw["statuspage_api_components"] or []
    if not isinstance(api_components, list) or not all(
        isinstance(c, str) and c for c in api_components
    ):
        raise CatalogError(f"kinds.{name}.statuspage_api_components: expected a list of names")
    if shape not in KEY_SHAPES:
        raise CatalogError(f"kinds.{name}.key_shape: unknown key shape {shape!r}")
    return VendorKind(
        name=name,
        display_name=raw["display_name"],
        default_api_url=raw.get("api_url"),
        default_statuspage_url=raw.get("statuspage_url"),
        statuspage_format=raw.get("statuspage_format", "auto"),
        statuspage_api_components=tuple(api_components),
        default_revision=raw.get("revision"),
        revision_header=raw.get("revision_header"),
        key_shape=shape,
        key_problem=KEY_SHAPES[shape],
        default_auth_header=raw.get("auth_header"),
        identity_probe=raw["identity_probe"],
        probes=probes,
        status_reasons={int(k): v for k, v in (raw.get("status_reasons") or {}).items()},
        action_steps={k: tuple(v) for k, v in (raw.get("actions") or {}).items()},
    )


def _check(catalog: Catalog) -> None:
    problems = []
    reasons = set(catalog.failure_reasons)
    for kind in catalog.kinds.values():
        if kind.identity_probe not in kind.account_probes:
            problems.append(
                f"kinds.{kind.name}.identity_probe: {kind.identity_probe!r} is no probe"
            )
        for probe in kind.probes.values():
            unknown = set(probe.reasons) - reasons
            if unknown:
                problems.append(f"kinds.{kind.name}.probes.{probe.name}: unknown {sorted(unknown)}")
        for status, reason in kind.status_reasons.items():
            if reason not in reasons:
                problems.append(f"kinds.{kind.name}.status_reasons.{status}: unknown {reason!r}")
        for key in kind.action_steps:
            if key not in catalog.actions:
                problems.append(f"kinds.{kind.name}.actions.{key}: no such action")
        if kind.default_revision and not kind.revision_header:
            problems.append(f"kinds.{kind.name}.revision_header: a kind with a revision needs it")
        if kind.statuspage_format not in (*catalog.statuspage_formats, "auto"):
            problems.append(f"kinds.{kind.name}.statuspage_format: {kind.statuspage_format!r}")
    for action in catalog.actions.values():
        if action.branch not in catalog.causes:
            problems.append(f"actions.{action.key}.branch: no such cause {action.branch!r}")
        unknown = set(action.reasons) - reasons
        if unknown:
            problems.append(f"actions.{action.key}.reasons: unknown {sorted(unknown)}")
    for branch in catalog.triage_branches.values():
        if branch.cause is not None and branch.cause not in catalog.causes:
            problems.append(f"triage_branches.{branch.name}.cause: no such cause {branch.cause!r}")
        if branch.action is not None and branch.action not in catalog.actions:
            problems.append(f"triage_branches.{branch.name}.action: no such action")
    if set(catalog.triage_urgency) != set(catalog.triage_branches):
        problems.append("triage_urgency: must list every triage branch once")
    if problems:
        raise CatalogError("; ".join(problems))


def parse_catalog(data: dict[str, Any]) -> Catalog:
    try:
        catalog = Catalog(
            failure_reasons={
                name: FailureReason(name, raw["class"], raw["meaning"])
                for name, raw in data["failure_reasons"].items()
            },
            statuspage_formats={
                name: StatusPageFormat(name=name, **raw)
                for name, raw in data["statuspage_formats"].items()
            },
            causes={name: Cause(name=name, **raw) for name, raw in data["causes"].items()},
            triage_branches={
                name: TriageBranch(name=name, **raw)
                for name, raw in data["triage_branches"].items()
            },
            triage_urgency=tuple(data["triage_urgency"]),
            actions={
                key: Action(
                    key=key,
                    title=raw["title"],
                    branch=raw["branch"],
                    reasons=tuple(raw.get("reasons", ())),
                    steps=tuple(raw["steps"]),
                )
                for key, raw in data["actions"].items()
            },
            kinds={
                name: _kind(name, raw, data["statuspage_probe"])
                for name, raw in data["kinds"].items()
            },
        )
    except (KeyError, TypeError, ValueError) as err:
        raise CatalogError(f"malformed catalog: {type(err).__name__}: {err}") from None
    _check(catalog)
    return catalog


def read_catalog() -> Catalog:
    text = resources.files("saas_exporter.catalog").joinpath("vendors.yaml").read_text("utf-8")
    return parse_catalog(yaml.safe_load(text))
