"""Rootly status page format (Clay's host): GET {statuspage_url}/api/v1/status.json, parsed.

``{"page": {...}, "status": {"indicator": "none|minor|major|maintenance",
"description": ...}, "incidents": [{name, status, impact, started_at, resolved_at, url,
incident_updates}]}``. Rootly pages may list no components: then none are emitted.
Rootly publishes no scheduled-maintenance document: a maintenance shows as the
``maintenance`` indicator while it runs, with no window (see maintenances.py).
"""

from __future__ import annotations

from typing import Any

from ..config import ResponseLimits
from .atlassian import MAINTENANCE_ACTIVE
from .maintenances import feed_from_status_body
from .page_parts import DEFAULT_LIMITS, parse_components, parse_incidents, parse_status
from .result import StatusPageSnapshot

# Rootly also serves /api/v1/incidents.json?page=&per_page= (history); the probe needs
# only the unresolved ones, which status.json lists.
RESOLVED = ("resolved", "completed", "postmortem", "cancelled", "canceled")


def _unresolved(item: dict[str, Any]) -> bool:
    return not item.get("resolved_at") and str(item.get("status", "")).lower() not in RESOLVED


def parse_rootly_status(body: Any, limits: ResponseLimits = DEFAULT_LIMITS) -> StatusPageSnapshot:
    """ValueError names the field that is not what a Rootly status.json has."""
    indicator, description = parse_status(body, "Rootly status", limits)
    incidents = body.get("incidents")
    if not isinstance(incidents, list):
        raise ValueError("incidents: expected a list")
    maintenances = body.get("scheduled_maintenances")
    if isinstance(maintenances, list):
        active = sum(
            1 for m in maintenances if isinstance(m, dict) and m.get("status") in MAINTENANCE_ACTIVE
        )
    else:
        # No maintenance list: the indicator is all the page says.
        active = 1 if indicator == "maintenance" else 0
    raw_components = body.get("components")
    components, dropped_components = (
        parse_components(raw_components, limits) if raw_components is not None else ((), 0)
    )
    kept, dropped_incidents = parse_incidents(incidents, _unresolved, limits)
    return StatusPageSnapshot(
        indicator=indicator,
        description=description,
        components=components,
        incidents=kept,
        active_maintenances=active,
        page_format="rootly",
        maintenances=feed_from_status_body(body),
        dropped_components=dropped_components,
        dropped_incidents=dropped_incidents,
    )
