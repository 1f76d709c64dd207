"""Atlassian Statuspage probe: GET {statuspage_url}/api/v2/summary.json."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx

from .http import base_result, classify_status, exchange, failed, http_failure, json_body
from .result import (
    COMPONENT_STATUSES,
    IMPACTS,
    INDICATORS,
    Component,
    Incident,
    ProbeResult,
    StatusPageSnapshot,
)
from .target import ProbeTarget

log = logging.getLogger(__name__)
UNRESOLVED = ("investigating", "identified", "monitoring")
MAINTENANCE_ACTIVE = ("in_progress", "verifying")


def _components(items: Any) -> tuple[Component, ...]:
    if not isinstance(items, list):
        raise ValueError(f"components: expected a list, got {type(items).__name__}")
    groups = {
        c.get("id"): str(c.get("name", ""))
        for c in items
        if isinstance(c, dict) and c.get("group") is True
    }
    out: list[Component] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("group") is True:
            continue
        name, status = item.get("name"), item.get("status")
        if not isinstance(name, str) or status not in COMPONENT_STATUSES:
            # One odd component must not hide the rest of the page.
            log.warning(
                "status page component skipped",
                extra={"fields": {"field": f"components[{i}]", "status": status}},
            )
            continue
        group = groups.get(item.get("group_id"), "")
        if (name, group) in seen:
            name = f"{name} ({item.get('id', i)})"
        seen.add((name, group))
        out.append(Component(name, group, status))
    return tuple(out)


def _incident(item: dict[str, Any]) -> Incident:
    impact = item.get("impact")
    updates = tuple(
        (str(u.get("created_at", "")), str(u.get("status", "")), str(u.get("body", "")))
        for u in item.get("incident_updates") or []
        if isinstance(u, dict)
    )
    return Incident(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")),
        impact=impact if impact in IMPACTS else "none",
        status=str(item.get("status", "")),
        url=str(item.get("shortlink") or item.get("url") or ""),
        started_at=str(item.get("started_at") or item.get("created_at") or ""),
        updates=updates,
    )


def parse_atlassian_summary(body: Any) -> StatusPageSnapshot:
    """ValueError names the field that is not what a Statuspage summary has."""
    if not isinstance(body, dict):
        raise ValueError("expected a Statuspage summary object")
    status = body.get("status")
    if not isinstance(status, dict):
        raise ValueError("status: expected an object with indicator and description")
    indicator = status.get("indicator")
    if indicator not in INDICATORS:
        raise ValueError(
            f"status.indicator: expected one of {', '.join(INDICATORS)}, got {indicator!r}"
        )
    incidents = body.get("incidents") or []
    if not isinstance(incidents, list):
        raise ValueError("incidents: expected a list")
    maintenances = body.get("scheduled_maintenances") or []
    return StatusPageSnapshot(
        indicator=indicator,
        description=str(status.get("description", "")),
        components=_components(body.get("components", [])),
        incidents=tuple(
            _incident(i) for i in incidents if isinstance(i, dict) and i.get("status") in UNRESOLVED
        ),
        active_maintenances=sum(
            1 for m in maintenances if isinstance(m, dict) and m.get("status") in MAINTENANCE_ACTIVE
        ),
        page_format="atlassian",
    )


async def probe_statuspage(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    assert target.vendor.statuspage_url
    ex = await exchange(
        client,
        f"{target.vendor.statuspage_url}/api/v2/summary.json",
        {"accept": "application/json"},
        target.vendor.timeout_seconds,
    )
    result = base_result(ex, read_rate_limits=False)
    if ex.response is None:
        return result
    reason = classify_status(ex.response, auth_on_400=False)
    if reason:
        return http_failure(result, ex.response, reason)
    body = json_body(ex.response)
    if body is None:
        return failed(result, "invalid_response", f"{ex.response.status_code}: body is not JSON")
    try:
        snapshot = parse_atlassian_summary(body)
    except ValueError as err:
        return failed(result, "invalid_response", f"{ex.response.status_code}: {err}")
    return replace(result, success=True, statuspage=snapshot)
