"""What both status-page formats share: the overall status, components, incidents.

A page is vendor input: odd items are skipped (never fatal), text is cleaned and cut to
``limits.max_label_length`` (it becomes label values), and at most
``limits.max_components`` components and ``limits.max_incidents`` incidents are kept;
the snapshot counts what was dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import ResponseLimits
from .result import COMPONENT_STATUSES, IMPACTS, INDICATORS, Component, Incident
from .text import vendor_text

log = logging.getLogger(__name__)
DEFAULT_LIMITS = ResponseLimits()
# Updates kept per incident, and the length of each update's text (on-call reads them).
MAX_UPDATES = 20
MAX_UPDATE_TEXT = 1000


def _shown(value: Any) -> str:
    return vendor_text(repr(value), 60)


def parse_status(body: Any, what: str, limits: ResponseLimits = DEFAULT_LIMITS) -> tuple[str, str]:
    """(indicator, description); ValueError names the field that is wrong."""
    if not isinstance(body, dict):
        raise ValueError(f"expected a {what} object")
    status = body.get("status")
    if not isinstance(status, dict):
        raise ValueError("status: expected an object with indicator and description")
    indicator = status.get("indicator")
    if not isinstance(indicator, str) or indicator not in INDICATORS:
        raise ValueError(
            f"status.indicator: expected one of {', '.join(INDICATORS)}, got {_shown(indicator)}"
        )
    return indicator, vendor_text(status.get("description", ""), limits.max_label_length)


def _ref(value: Any) -> str | None:
    """A component or group id usable as a key: a string or a number, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def parse_components(
    items: Any, limits: ResponseLimits = DEFAULT_LIMITS
) -> tuple[tuple[Component, ...], int]:
    """The components (groups resolved to names) and how many were dropped past
    ``limits.max_components``."""
    if not isinstance(items, list):
        raise ValueError(f"components: expected a list, got {type(items).__name__}")
    cut = limits.max_label_length
    groups: dict[str, str] = {}
    for c in items:
        if isinstance(c, dict) and c.get("group") is True and _ref(c.get("id")) is not None:
            groups[_ref(c.get("id"))] = vendor_text(c.get("name", ""), cut)  # type: ignore[index]
    out: list[Component] = []
    seen: set[tuple[str, str]] = set()
    skipped = dropped = 0
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("group") is True:
            continue
        name, status = item.get("name"), item.get("status")
        if not isinstance(name, str) or not isinstance(status, str):
            skipped += 1
            continue
        if status not in COMPONENT_STATUSES:
            skipped += 1
            continue
        if len(out) >= limits.max_components:
            dropped += 1
            continue
        group = groups.get(_ref(item.get("group_id")) or "", "")
        full, name = name, vendor_text(name, cut)
        if (name, group) in seen:
            # Same name (or same after the cut): tell them apart by id, within the limit.
            suffix = vendor_text(f" ({_ref(item.get('id')) or i})", cut // 2)
            name = vendor_text(full, cut - len(suffix)) + suffix
        if (name, group) in seen:  # still the same: one series per pair
            skipped += 1
            continue
        seen.add((name, group))
        out.append(Component(name, group, status))
    if skipped:
        # One odd component must not hide the rest of the page.
        log.warning("status page components skipped", extra={"fields": {"skipped": skipped}})
    return tuple(out), dropped


def _updates(item: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    raw = item.get("incident_updates")
    updates = raw if isinstance(raw, list) else []
    return tuple(
        (
            vendor_text(u.get("created_at") or u.get("updated_at") or "", 64),
            vendor_text(u.get("status", ""), 64),
            vendor_text(u.get("body") or u.get("message") or "", MAX_UPDATE_TEXT),
        )
        for u in updates[:MAX_UPDATES]
        if isinstance(u, dict)
    )


def parse_incident(item: dict[str, Any], limits: ResponseLimits = DEFAULT_LIMITS) -> Incident:
    """An incident in either format (Rootly: title/slug/message where Atlassian has
    name/id/body)."""
    cut = limits.max_label_length
    impact = item.get("impact")
    return Incident(
        id=vendor_text(item.get("id") or item.get("slug") or "", cut),
        name=vendor_text(item.get("name") or item.get("title") or "", cut),
        impact=impact if isinstance(impact, str) and impact in IMPACTS else "none",
        status=vendor_text(item.get("status", ""), cut),
        url=vendor_text(item.get("shortlink") or item.get("url") or "", cut),
        started_at=vendor_text(item.get("started_at") or item.get("created_at") or "", 64),
        updates=_updates(item),
    )


def parse_incidents(
    items: list[Any], unresolved, limits: ResponseLimits = DEFAULT_LIMITS
) -> tuple[tuple[Incident, ...], int]:
    """The unresolved incidents, and how many were dropped past ``limits.max_incidents``."""
    chosen = [i for i in items if isinstance(i, dict) and unresolved(i)]
    kept = chosen[: limits.max_incidents]
    return tuple(parse_incident(i, limits) for i in kept), len(chosen) - len(kept)
