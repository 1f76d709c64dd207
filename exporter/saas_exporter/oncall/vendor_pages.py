"""The vendor's status page as documents: the summary and the incident history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from ..probes.http import USER_AGENT

# Atlassian Statuspage: summary.json lists unresolved incidents; incidents.json the
# latest 50 with their updates, resolved ones included (not every page serves it).
DOCUMENTS = ("api/v2/summary.json", "api/v2/incidents.json")


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(client: httpx.Client, base_url: str, path: str) -> Fetched:
    url = f"{base_url.rstrip('/')}/{path}"
    try:
        response = client.get(url, headers={"user-agent": USER_AGENT, "accept": "application/json"})
    except httpx.HTTPError as err:
        return Fetched(url, 0, b"", f"{type(err).__name__}: {err}")
    if response.status_code != 200:
        return Fetched(url, response.status_code, response.content, f"HTTP {response.status_code}")
    try:
        json.loads(response.content)
    except ValueError:
        return Fetched(url, 200, response.content, "HTTP 200 but not JSON")
    return Fetched(url, 200, response.content)


@dataclass(frozen=True)
class IncidentUpdate:
    at: str  # ISO 8601 as the page gives it
    incident: str
    impact: str
    status: str
    body: str


def incident_updates(documents: list[Fetched]) -> list[IncidentUpdate]:
    """Every incident update in the first document that answered (history first)."""
    for document in documents:
        if not document.ok:
            continue
        incidents = document.json().get("incidents")
        if not isinstance(incidents, list):
            continue
        updates = []
        for incident in incidents:
            if not isinstance(incident, dict):
                continue
            for update in incident.get("incident_updates") or []:
                if isinstance(update, dict) and update.get("created_at"):
                    updates.append(
                        IncidentUpdate(
                            str(update["created_at"]),
                            str(incident.get("name", "")),
                            str(incident.get("impact", "")),
                            str(update.get("status", "")),
                            str(update.get("body", "")),
                        )
                    )
        return sorted(updates, key=lambda u: u.at)
    return []
