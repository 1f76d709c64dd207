"""Fake Atlassian Statuspage summary.json for a vendor, per scenario."""

from __future__ import annotations

from datetime import UTC, datetime

from .maintenances import (
    ACTIVE_PATH,
    UPCOMING_PATH,
    SimMaintenance,
    announced,
    atlassian_document,
    in_progress_components,
)
from .responses import Response, html_response, json_response
from .scenarios import ScenarioState

# Groups and components as Klaviyo's page lists them (vendor-facts.md).
KLAVIYO_COMPONENTS: tuple[tuple[str, str | None], ...] = (
    ("Klaviyo API", None),
    ("Analytics", None),
    ("Segmentation", None),
    ("List Subscription", None),
    ("Signup Forms", None),
    ("Flow Triggering", None),
    ("Campaign Email Sending", "Email Sending"),
    ("Flow Email Sending", "Email Sending"),
    ("Web Application", "Klaviyo App"),
    ("Mobile Application", "Klaviyo App"),
)

# A generic vendor's page (the fake "Acme" of acme_api.py).
ACME_COMPONENTS: tuple[tuple[str, str | None], ...] = (
    ("Acme API", None),
    ("Webhooks", None),
    ("Dashboard", "Acme App"),
    ("Billing", "Acme App"),
)

# scenario -> (indicator, description, {component: status}, incident or None)
_KLAVIYO_INCIDENTS = {
    "vendor_incident": (
        "major",
        "Partial System Outage",
        {"Klaviyo API": "major_outage", "Flow Triggering": "degraded_performance"},
        ("sim-incident-api", "Elevated error rates on the Klaviyo API", "major", "identified"),
    ),
    "minor_incident": (
        "minor",
        "Minor Service Outage",
        {"Signup Forms": "degraded_performance"},
        ("sim-incident-forms", "Delayed signup form submissions", "minor", "investigating"),
    ),
    "maintenance": (
        "maintenance",
        "Service Under Maintenance",
        {"Analytics": "under_maintenance"},
        None,
    ),
}
_ACME_INCIDENTS = {
    "vendor_incident": (
        "major",
        "Partial System Outage",
        {"Acme API": "major_outage", "Webhooks": "degraded_performance"},
        ("sim-incident-api", "Elevated error rates on the Acme API", "major", "identified"),
    ),
    "minor_incident": (
        "minor",
        "Minor Service Outage",
        {"Dashboard": "degraded_performance"},
        ("sim-incident-dash", "Slow dashboard loads", "minor", "investigating"),
    ),
    "maintenance": (
        "maintenance",
        "Service Under Maintenance",
        {"Billing": "under_maintenance"},
        None,
    ),
}
# vendor -> (components, scenario incidents)
PAGES = {
    "klaviyo": (KLAVIYO_COMPONENTS, _KLAVIYO_INCIDENTS),
    "acme": (ACME_COMPONENTS, _ACME_INCIDENTS),
}


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())[:12] or "component"


def summary(
    vendor: str,
    base_url: str,
    scenario: ScenarioState,
    now: float,
    maintenances: tuple[SimMaintenance, ...] = (),
) -> dict:
    page_components, page_incidents = PAGES[vendor]
    indicator, description, overrides, incident = page_incidents.get(
        scenario.name, ("none", "All Systems Operational", {}, None)
    )
    under_maintenance = in_progress_components(maintenances, now)
    # The scenario's statuses win: an outage during a maintenance shows as the outage.
    overrides = {**dict.fromkeys(under_maintenance, "under_maintenance"), **overrides}
    if indicator == "none" and announced(maintenances, now, ("in_progress",)):
        indicator, description = "maintenance", "Service Under Maintenance"
    since = iso_time(scenario.since or now)
    components = []
    group_ids: dict[str, str] = {}
    for position, (name, group) in enumerate(page_components, start=1):
        if group and group not in group_ids:
            group_ids[group] = f"grp-{_slug(group)}"
            members = [f"cmp-{_slug(n)}" for n, g in page_components if g == group]
            statuses = [overrides.get(n, "operational") for n, g in page_components if g == group]
            worst = next((s for s in statuses if s != "operational"), "operational")
            components.append(
                {
                    "id": group_ids[group],
                    "name": group,
                    "status": worst,
                    "group": True,
                    "group_id": None,
                    "components": members,
                    "position": position,
                    "only_show_if_degraded": False,
                    "created_at": since,
                    "updated_at": since,
                }
            )
        components.append(
            {
                "id": f"cmp-{_slug(name)}",
                "name": name,
                "status": overrides.get(name, "operational"),
                "group": False,
                "group_id": group_ids.get(group) if group else None,
                "position": position,
                "only_show_if_degraded": False,
                "created_at": since,
                "updated_at": since,
            }
        )
    incidents = []
    if incident:
        inc_id, inc_name, impact, status = incident
        incidents.append(
            {
                "id": inc_id,
                "name": inc_name,
                "status": status,
                "impact": impact,
                "created_at": since,
                "started_at": since,
                "updated_at": since,
                "shortlink": f"{base_url}/incidents/{inc_id}",
                "components": [c for c in components if c["name"] in overrides],
                "incident_updates": [
                    {
                        "id": f"{inc_id}-u1",
                        "status": status,
                        "created_at": since,
                        "body": f"We are investigating: {inc_name.lower()}.",
                    }
                ],
            }
        )
    listed = []
    if scenario.name == "maintenance":
        listed.append(
            {
                "id": "sim-maint-analytics",
                "name": "Analytics database upgrade",
                "status": "in_progress",
                "impact": "maintenance",
                "scheduled_for": since,
                "scheduled_until": iso_time((scenario.since or now) + 3600),
                "shortlink": f"{base_url}/incidents/sim-maint-analytics",
                "incident_updates": [],
            }
        )
    return {
        "page": {
            "id": f"sim-{vendor}",
            "name": vendor.capitalize(),
            "url": base_url,
            "time_zone": "Etc/UTC",
            "updated_at": iso_time(now),
        },
        "status": {"indicator": indicator, "description": description},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": listed
        + [
            atlassian_document(m, base_url, components, now, iso_time)
            for m in announced(maintenances, now, ("scheduled", "in_progress"))
        ],
    }


# Document path -> the maintenance statuses it lists.
MAINTENANCE_DOCUMENTS = {UPCOMING_PATH: ("scheduled",), ACTIVE_PATH: ("in_progress", "verifying")}


def handle(
    path_tail: str,
    vendor: str,
    base_url: str,
    scenario: ScenarioState,
    now: float,
    maintenances: tuple[SimMaintenance, ...] = (),
) -> Response:
    if scenario.name == "statuspage_down":
        return html_response(503, "503 Service Unavailable")
    document = summary(vendor, base_url, scenario, now, maintenances)
    if path_tail in MAINTENANCE_DOCUMENTS:
        statuses = MAINTENANCE_DOCUMENTS[path_tail]
        listed = [m for m in document["scheduled_maintenances"] if m["status"] in statuses]
        document = {"page": document["page"], "scheduled_maintenances": listed}
    if path_tail == "api/v2/status.json":
        document = {"page": document["page"], "status": document["status"]}
    elif path_tail == "api/v2/incidents.json":
        document = {"page": document["page"], "incidents": document["incidents"]}
    return json_response(200, document, "application/json; charset=utf-8")
