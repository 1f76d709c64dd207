"""A small client for Alertmanager's v2 API (post alerts, read their state)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    """POST /api/v2/alerts: [{"labels": ..., "annotations": ..., "startsAt": ...}]."""
    response = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5.0)
    response.raise_for_status()


def alerts(url: str, **filters: str) -> list[dict[str, Any]]:
    """GET /api/v2/alerts, including inhibited and silenced ones."""
    params = httpx.QueryParams({"inhibited": "true", "silenced": "true"})
    for name, value in filters.items():
        params = params.add("filter", f'{name}="{value}"')
    response = httpx.get(f"{url}/api/v2/alerts", params=params, timeout=5.0)
    response.raise_for_status()
    return response.json()


def state_by_alertname(url: str) -> dict[str, str]:
    """{alertname: "active" | "suppressed" | "unprocessed"} of every alert."""
    return {a["labels"]["alertname"]: a["status"]["state"] for a in alerts(url)}
