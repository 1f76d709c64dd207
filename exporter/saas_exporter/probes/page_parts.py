"""What both status-page formats share: the overall status, components, incidents."""

from __future__ import annotations

import logging
from typing import Any

from .result import COMPONENT_STATUSES, IMPACTS, INDICATORS, Component, Incident

log = logging.getLogger(__name__)


def parse_status(body: Any, what: str) -> tuple[str, str]:
    """(indicator, description); ValueError names the field that is wrong."""
    if not isinstance(body, dict):
        raise ValueError(f"expected a {what} object")
    status = body.get("status")
    if not isinstance(status, dict):
        raise ValueError("status: expected an object with indicator and description")
    indicator = status.get("indicator")
    if indicator not in INDICATORS:
        raise ValueError(
            f"status.indicator: expected one of {', '.join(INDICATORS)}, got {indicator!r}"
        )
    return indicator, str(status.get("description", ""))


def parse_components(items: Any) -> tuple[Component, ...]:
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


def parse_incident(item: dict[str, Any]) -> Incident:
    """An incident in either format (Rootly: title/slug/message where Atlassian has
    name/id/body)."""
    impact = item.get("impact")
    updates = tuple(
        (
            str(u.get("created_at") or u.get("updated_at") or ""),
            str(u.get("status", "")),
            str(u.get("body") or u.get("message") or ""),
        )
        for u in item.get("incident_updates") or []
        if isinstance(u, dict)
    )
    return Incident(
        id=str(item.get("id") or item.get("slug") or ""),
        name=str(item.get("name") or item.get("title") or ""),
        impact=impact if impact in IMPACTS else "none",
        status=str(item.get("status", "")),
        url=str(item.get("shortlink") or item.get("url") or ""),
        started_at=str(item.get("started_at") or item.get("created_at") or ""),
        updates=updates,
    )
