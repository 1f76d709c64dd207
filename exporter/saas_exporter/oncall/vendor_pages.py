"""The vendors' status pages as documents (summary and incident history), each read at
the paths of the format it speaks (the catalog's: Atlassian Statuspage, Rootly)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..catalog import CATALOG
from ..config import statuspage_of
from ..probes.http import USER_AGENT
from ..probes.page_parts import parse_incident
from ..probes.statuspage import FORMATS

AUTO = "auto"


@dataclass(frozen=True)
class StatusPage:
    vendor: str
    url: str  # no trailing slash
    page_format: str  # a catalog format, or "auto": the first whose summary parses


def status_pages(raw: dict[str, Any]) -> list[StatusPage]:
    """Every configured vendor's status page, from a raw config (kind defaults applied,
    as the exporter applies them). Tolerates a config the loader would refuse."""
    pages = []
    vendors = raw.get("vendors")
    for item in vendors if isinstance(vendors, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        kind = CATALOG.kinds.get(str(item.get("kind")))
        if kind is not None:
            url, page_format = statuspage_of(kind, item)
        else:
            url, page_format = item.get("statuspage_url"), item.get("statuspage_format", AUTO)
        if page_format not in CATALOG.statuspage_formats:
            page_format = AUTO  # an invalid config is still evidence: find out
        if isinstance(url, str) and url:
            pages.append(StatusPage(item["name"], url.rstrip("/"), page_format))
    return sorted(pages, key=lambda page: page.vendor)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def name(self) -> str:
        """The document's file name: summary.json, status.json, incidents.json."""
        return self.url.split("?", 1)[0].rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(client: httpx.Client, url: str, parse: Callable[[Any], object] | None = None) -> Fetched:
    """One document; `parse` (the probe's parser) checks that it is what the path serves."""
    try:
        response = client.get(url, headers={"user-agent": USER_AGENT, "accept": "application/json"})
    except httpx.HTTPError as err:
        return Fetched(url, 0, b"", f"{type(err).__name__}: {err}")
    if response.status_code != 200:
        return Fetched(url, response.status_code, response.content, f"HTTP {response.status_code}")
    try:
        body = json.loads(response.content)
    except ValueError:
        return Fetched(url, 200, response.content, "HTTP 200 but not JSON")
    if parse is not None:
        try:
            parse(body)
        except ValueError as err:
            return Fetched(url, 200, response.content, f"HTTP 200 but not this format: {err}")
    return Fetched(url, 200, response.content)


@dataclass(frozen=True)
class PageDocuments:
    page: StatusPage
    page_format: str | None  # the format that answered; None: none did
    summary: Fetched | None
    incidents: Fetched | None  # the history, resolved incidents included
    error: str = ""  # why no format answered (auto)


def read_page(client: httpx.Client, page: StatusPage) -> PageDocuments:
    """The page's summary and incident history in the format it speaks."""
    formats = list(FORMATS) if page.page_format == AUTO else [page.page_format]
    tried = []
    for page_format in formats:
        spec = CATALOG.statuspage_formats[page_format]
        summary = fetch(client, f"{page.url}{spec.summary}", FORMATS[page_format][2])
        if summary.ok or len(formats) == 1:
            incidents = fetch(client, f"{page.url}{spec.incidents}") if spec.incidents else None
            return PageDocuments(page, page_format, summary, incidents)
        if not summary.status:
            # No answer at all: another format's path will not get one either.
            return PageDocuments(page, None, None, None, f"GET {summary.url}: {summary.error}")
        tried.append(f"{spec.display_name} (GET {spec.summary}: {summary.error})")
    return PageDocuments(page, None, None, None, f"the page speaks neither {' nor '.join(tried)}")


@dataclass(frozen=True)
class IncidentUpdate:
    at: str  # ISO 8601 as the page gives it
    incident: str
    impact: str
    status: str
    body: str


def incident_updates(documents: PageDocuments) -> list[IncidentUpdate]:
    """Every incident update in the history (or, without it, the summary), oldest first."""
    for document in (documents.incidents, documents.summary):
        if document is None or not document.ok:
            continue
        body = document.json()
        incidents = body.get("incidents") if isinstance(body, dict) else None
        if not isinstance(incidents, list):
            continue
        updates = [
            IncidentUpdate(at, incident.name, incident.impact, status, body)
            for incident in (parse_incident(i) for i in incidents if isinstance(i, dict))
            for at, status, body in incident.updates
            if at
        ]
        return sorted(updates, key=lambda u: u.at)
    return []
