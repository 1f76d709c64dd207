"""Announced maintenances on the fake status pages: upcoming, in progress, cancelled.

Independent of the scenario (an API outage or a revoked key can happen during a
maintenance window). Set per vendor with
``POST /-/maintenances {"vendor": "klaviyo", "maintenances": [{"id": "m1", "name": ...,
"components": ["Klaviyo API"], "starts_in_seconds": 0, "duration_seconds": 3600,
"cancelled": false}]}`` (or ``"starts_at"``, a Unix time, instead of
``starts_in_seconds``); the list replaces the vendor's previous one.

What each page shows, as the real ones do:
- Atlassian: ``scheduled-maintenances/upcoming.json`` (scheduled), ``active.json`` (in
  progress), and both in ``summary.json``; components of a maintenance in progress are
  ``under_maintenance`` and the indicator ``maintenance`` (unless the scenario shows
  worse). A cancelled or completed maintenance is in none of them.
- Rootly: no maintenance document; a maintenance in progress sets the ``maintenance``
  indicator (unless the scenario shows worse), with no window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UPCOMING_PATH = "api/v2/scheduled-maintenances/upcoming.json"
ACTIVE_PATH = "api/v2/scheduled-maintenances/active.json"
DEFAULT_DURATION_SECONDS = 3600.0


@dataclass(frozen=True)
class SimMaintenance:
    id: str
    name: str
    components: tuple[str, ...]
    starts_at: float
    ends_at: float
    cancelled: bool = False

    def status(self, now: float) -> str:
        if self.cancelled:
            return "cancelled"
        if now < self.starts_at:
            return "scheduled"
        return "in_progress" if now < self.ends_at else "completed"

    def describe(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "components": list(self.components),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "status": self.status(now),
        }


def parse_maintenances(body: Any, now: float) -> tuple[SimMaintenance, ...]:
    """The `maintenances` list of a POST; ValueError names the field that is wrong."""
    items = body.get("maintenances") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ValueError('expected {"vendor": ..., "maintenances": [{"id": ..., ...}]}')
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise ValueError(f"maintenances[{i}].id: expected a non-empty string")
        components = item.get("components", [])
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise ValueError(f"maintenances[{i}].components: expected a list of names")
        try:
            # An absolute start (Unix time) keeps a window fixed across announcements.
            starts = (
                float(item["starts_at"])
                if "starts_at" in item
                else now + float(item.get("starts_in_seconds", 0))
            )
            duration = float(item.get("duration_seconds", DEFAULT_DURATION_SECONDS))
        except (TypeError, ValueError):
            raise ValueError(f"maintenances[{i}]: expected numbers of seconds") from None
        out.append(
            SimMaintenance(
                id=item["id"],
                name=str(item.get("name") or f"Scheduled maintenance {item['id']}"),
                components=tuple(components),
                starts_at=starts,
                ends_at=starts + duration,
                cancelled=bool(item.get("cancelled", False)),
            )
        )
    return tuple(out)


def announced(
    maintenances: tuple[SimMaintenance, ...], now: float, statuses: tuple[str, ...]
) -> list[SimMaintenance]:
    return [m for m in maintenances if m.status(now) in statuses]


def in_progress_components(maintenances: tuple[SimMaintenance, ...], now: float) -> set[str]:
    return {c for m in announced(maintenances, now, ("in_progress",)) for c in m.components}


def atlassian_document(
    maintenance: SimMaintenance,
    base_url: str,
    components: list[dict[str, Any]],
    now: float,
    iso_time,
) -> dict[str, Any]:
    """One maintenance as Atlassian Statuspage lists it."""
    status = maintenance.status(now)
    affected = [c for c in components if c["name"] in maintenance.components]
    return {
        "id": maintenance.id,
        "name": maintenance.name,
        "status": status,
        "impact": "maintenance",
        "created_at": iso_time(maintenance.starts_at - 86400),
        "scheduled_for": iso_time(maintenance.starts_at),
        "scheduled_until": iso_time(maintenance.ends_at),
        "shortlink": f"{base_url}/incidents/{maintenance.id}",
        "components": affected,
        "incident_updates": [
            {
                "id": f"{maintenance.id}-u1",
                "status": status,
                "created_at": iso_time(maintenance.starts_at - 86400),
                "body": f"{maintenance.name} is scheduled.",
            }
        ],
    }
