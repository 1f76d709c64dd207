"""Atlassian Statuspage format: GET {statuspage_url}/api/v2/summary.json, parsed."""

from __future__ import annotations

from typing import Any

from ..config import ResponseLimits
from .page_parts import DEFAULT_LIMITS, parse_components, parse_incidents, parse_status
from .result import StatusPageSnapshot

UNRESOLVED = ("investigating", "identified", "monitoring")
MAINTENANCE_ACTIVE = ("in_progress", "verifying")


def _unresolved(item: dict[str, Any]) -> bool:
    return item.get("status") in UNRESOLVED


def parse_atlassian_summary(
    body: Any, limits: ResponseLimits = DEFAULT_LIMITS
) -> StatusPageSnapshot:
    """ValueError names the field that is not what a Statuspage summary has."""
    indicator, description = parse_status(body, "Statuspage summary", limits)
    incidents = body.get("incidents") or []
    if not isinstance(incidents, list):
        raise ValueError("incidents: expected a list")
    maintenances = body.get("scheduled_maintenances") or []
    if not isinstance(maintenances, list):
        raise ValueError("scheduled_maintenances: expected a list")
    components, dropped_components = parse_components(body.get("components", []), limits)
    kept, dropped_incidents = parse_incidents(incidents, _unresolved, limits)
    return StatusPageSnapshot(
        indicator=indicator,
        description=description,
        components=components,
        incidents=kept,
        active_maintenances=sum(
            1 for m in maintenances if isinstance(m, dict) and m.get("status") in MAINTENANCE_ACTIVE
        ),
        page_format="atlassian",
        dropped_components=dropped_components,
        dropped_incidents=dropped_incidents,
    )
