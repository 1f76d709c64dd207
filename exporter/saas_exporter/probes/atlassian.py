"""Atlassian Statuspage format: GET {statuspage_url}/api/v2/summary.json, parsed."""

from __future__ import annotations

from typing import Any

from .page_parts import parse_components, parse_incident, parse_status
from .result import StatusPageSnapshot

UNRESOLVED = ("investigating", "identified", "monitoring")
MAINTENANCE_ACTIVE = ("in_progress", "verifying")


def parse_atlassian_summary(body: Any) -> StatusPageSnapshot:
    """ValueError names the field that is not what a Statuspage summary has."""
    indicator, description = parse_status(body, "Statuspage summary")
    incidents = body.get("incidents") or []
    if not isinstance(incidents, list):
        raise ValueError("incidents: expected a list")
    maintenances = body.get("scheduled_maintenances") or []
    return StatusPageSnapshot(
        indicator=indicator,
        description=description,
        components=parse_components(body.get("components", [])),
        incidents=tuple(
            parse_incident(i)
            for i in incidents
            if isinstance(i, dict) and i.get("status") in UNRESOLVED
        ),
        active_maintenances=sum(
            1 for m in maintenances if isinstance(m, dict) and m.get("status") in MAINTENANCE_ACTIVE
        ),
        page_format="atlassian",
    )
