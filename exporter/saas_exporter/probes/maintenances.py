"""Scheduled maintenances a status page announces: upcoming and in progress.

Atlassian Statuspage serves them as two documents (the catalog's
``maintenances_upcoming`` and ``maintenances_active`` paths):
``{"scheduled_maintenances": [{id, name, status, scheduled_for, scheduled_until,
shortlink, components: [{name, ...}], ...}]}``. Upcoming ones are ``scheduled``, active
ones ``in_progress`` or ``verifying``; a cancelled or completed maintenance is in
neither, so it simply stops being announced.

Rootly's public JSON has no maintenance document: ``status.json`` says only that a
maintenance is in progress (indicator ``maintenance``), with no window. A Rootly page
whose ``status.json`` carries a ``scheduled_maintenances`` list in the Atlassian shape is
read from it; otherwise the page has no feed.

A page is vendor input: an item without an id is skipped, text is cut to label size,
and at most ``max_kept`` maintenances are kept (in progress first, then the soonest);
the feed counts the rest as dropped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx

from ..catalog import CATALOG
from ..config import ResponseLimits
from .http import DEFAULT_LIMITS, exchange, json_body
from .result import ACTIVE_MAINTENANCE, Maintenance, MaintenanceFeed
from .text import vendor_text

UPCOMING = ("scheduled",)
ANNOUNCED = UPCOMING + ACTIVE_MAINTENANCE
# Label values taken from the page (names, ids, URLs) are cut to this many characters.
MAX_TEXT = 200
DEFAULT_MAX_KEPT = 20


def _text(value: Any) -> str:
    return vendor_text(" ".join(str(value).split()), MAX_TEXT) if value is not None else ""


def _time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def _components(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = {_text(c.get("name")) for c in value if isinstance(c, dict) and c.get("name")}
    return tuple(sorted(names))


def parse_maintenance(item: Any) -> Maintenance | None:
    """One announced maintenance, or None for an item that is not one (no id, or a
    status other than scheduled / in progress)."""
    if not isinstance(item, dict):
        return None
    ident = item.get("id") or item.get("slug")
    status = str(item.get("status", "")).lower()
    if not ident or status not in ANNOUNCED:
        return None
    return Maintenance(
        id=_text(ident),
        name=_text(item.get("name") or item.get("title") or ""),
        status=status,
        starts_at=_time(item.get("scheduled_for") or item.get("starts_at")),
        ends_at=_time(item.get("scheduled_until") or item.get("ends_at")),
        components=_components(item.get("components")),
        url=_text(item.get("shortlink") or item.get("url") or ""),
    )


def parse_maintenance_list(body: Any, what: str) -> list[Maintenance]:
    """The maintenances of one document; ValueError names what is wrong with it."""
    if not isinstance(body, dict):
        raise ValueError(f"{what}: expected a JSON object")
    items = body.get("scheduled_maintenances")
    if not isinstance(items, list):
        raise ValueError(f"{what}: scheduled_maintenances: expected a list")
    return [m for m in map(parse_maintenance, items) if m is not None]


def _sort_key(maintenance: Maintenance) -> tuple[bool, float, str]:
    start = maintenance.starts_at if maintenance.starts_at is not None else float("inf")
    return (not maintenance.in_progress, start, maintenance.id)


def build_feed(maintenances: list[Maintenance], max_kept: int) -> MaintenanceFeed:
    """One entry per id (in progress wins over scheduled), the first `max_kept` kept."""
    by_id: dict[str, Maintenance] = {}
    for maintenance in maintenances:
        known = by_id.get(maintenance.id)
        if known is None or (maintenance.in_progress and not known.in_progress):
            by_id[maintenance.id] = maintenance
    ordered = sorted(by_id.values(), key=_sort_key)
    return MaintenanceFeed(tuple(ordered[:max_kept]), dropped=max(0, len(ordered) - max_kept))


def capped(feed: MaintenanceFeed, max_kept: int) -> MaintenanceFeed:
    """The feed with at most `max_kept` maintenances, the rest counted as dropped."""
    kept = feed.maintenances[:max_kept]
    return MaintenanceFeed(kept, feed.dropped + len(feed.maintenances) - len(kept), feed.error)


def feed_from_status_body(body: Any) -> MaintenanceFeed | None:
    """A Rootly status.json's own list, when it has one (None: no feed); uncapped."""
    if not isinstance(body, dict) or not isinstance(body.get("scheduled_maintenances"), list):
        return None
    return build_feed(
        parse_maintenance_list(body, "status.json"), max_kept=len(body["scheduled_maintenances"])
    )


async def _document(
    client: httpx.AsyncClient, url: str, timeout: float, what: str, limits: ResponseLimits
) -> list[Maintenance]:
    ex = await exchange(client, url, {"accept": "application/json"}, timeout, limits=limits)
    if ex.response is None:
        raise ValueError(f"{what}: {ex.transport_error}")
    if ex.response.status_code != 200:
        raise ValueError(f"{what}: HTTP {ex.response.status_code}")
    try:
        body = json_body(ex.response)
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None
    return parse_maintenance_list(body, what)


async def fetch_feed(
    client: httpx.AsyncClient,
    statuspage_url: str,
    page_format: str,
    timeout: float,
    max_kept: int = DEFAULT_MAX_KEPT,
    limits: ResponseLimits = DEFAULT_LIMITS,
) -> MaintenanceFeed | None:
    """The page's upcoming and active maintenances from the format's documents; None
    when the format serves none (Rootly: its status.json is read by the probe)."""
    spec = CATALOG.statuspage_formats[page_format]
    paths = [p for p in (spec.maintenances_upcoming, spec.maintenances_active) if p]
    if not paths:
        return None
    try:
        lists = await asyncio.gather(
            *(
                _document(client, f"{statuspage_url}{path}", timeout, f"GET {path}", limits)
                for path in paths
            )
        )
    except ValueError as err:
        return MaintenanceFeed(error=str(err))
    return build_feed([m for found in lists for m in found], max_kept)
