"""Fake Rootly status page (Clay's host): /api/v1/status.json and /api/v1/incidents.json.

No components (Rootly pages may have none) and a resolved incident in the history, so
the probe's filtering of resolved incidents is exercised on every scenario.
"""

from __future__ import annotations

from .atlassian_page import iso_time
from .maintenances import SimMaintenance, announced
from .responses import Response, html_response, json_response
from .scenarios import ScenarioState

STATUS_PATH = "api/v1/status.json"
INCIDENTS_PATH = "api/v1/incidents.json"

# scenario -> (indicator, description, incident (id, name, impact, status) or None)
_SCENARIOS = {
    "vendor_incident": (
        "major",
        "Major outage",
        ("sim-clay-api", "Clay API returning errors", "major", "identified"),
    ),
    "minor_incident": (
        "minor",
        "Partial degradation",
        ("sim-clay-enrich", "Delayed enrichment runs", "minor", "investigating"),
    ),
    "maintenance": ("maintenance", "Scheduled maintenance in progress", None),
}
_RESOLVED = ("sim-clay-old", "Table exports delayed", "minor", "resolved")


def _incident(base_url: str, since: str, item, resolved_at: str | None) -> dict:
    inc_id, name, impact, status = item
    return {
        "id": inc_id,
        "name": name,
        "status": status,
        "impact": impact,
        "started_at": since,
        "resolved_at": resolved_at,
        "url": f"{base_url}/incidents/{inc_id}",
        "incident_updates": [
            {"status": status, "created_at": since, "body": f"We are looking into: {name}."}
        ],
    }


def incidents(base_url: str, scenario: ScenarioState, now: float) -> list[dict]:
    since = iso_time(scenario.since or now)
    _, _, current = _SCENARIOS.get(scenario.name, (None, None, None))
    out = [_incident(base_url, since, current, None)] if current else []
    out.append(_incident(base_url, iso_time(now - 86400), _RESOLVED, iso_time(now - 82800)))
    return out


def status(
    vendor: str,
    base_url: str,
    scenario: ScenarioState,
    now: float,
    maintenances: tuple[SimMaintenance, ...] = (),
) -> dict:
    indicator, description, _ = _SCENARIOS.get(
        scenario.name, ("none", "All systems operational", None)
    )
    # Rootly shows a maintenance in progress only as the indicator, with no window.
    if indicator == "none" and announced(maintenances, now, ("in_progress",)):
        indicator, description = _SCENARIOS["maintenance"][:2]
    return {
        "page": {"name": vendor.capitalize(), "url": base_url, "updated_at": iso_time(now)},
        "status": {"indicator": indicator, "description": description},
        "incidents": incidents(base_url, scenario, now),
    }


def _int(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def handle(
    path_tail: str,
    query: dict[str, str],
    vendor: str,
    base_url: str,
    scenario,
    now: float,
    maintenances: tuple[SimMaintenance, ...] = (),
) -> Response:
    if scenario.name == "statuspage_down":
        return html_response(503, "503 Service Unavailable")
    if path_tail == INCIDENTS_PATH:
        items = incidents(base_url, scenario, now)
        page = max(1, _int(query.get("page"), 1))
        per_page = max(1, min(100, _int(query.get("per_page"), 25)))
        chunk = items[(page - 1) * per_page : page * per_page]
        meta = {"page": page, "per_page": per_page, "total_count": len(items)}
        return json_response(200, {"incidents": chunk, "meta": meta}, "application/json")
    document = status(vendor, base_url, scenario, now, maintenances)
    return json_response(200, document, "application/json")
