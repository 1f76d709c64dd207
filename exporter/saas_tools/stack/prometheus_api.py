"""A small client for a running Prometheus's HTTP API (queries, alerts, rules)."""

from __future__ import annotations

import time
from typing import Any

import httpx


class PrometheusAPI:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self._client = httpx.Client(base_url=url, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, **params: Any) -> Any:
        """The `data` of a successful answer; AssertionError naming the error otherwise."""
        document = self._client.get(path, params=params).json()
        assert document["status"] == "success", f"{path} {params}: {document}"
        return document["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of `expr` now."""
        return self.get("/api/v1/query", query=expr)["result"]

    def query_range(self, expr: str, seconds: float = 120.0) -> list[dict[str, Any]]:
        """The matrix of `expr` over the last `seconds`, one point a second."""
        end = time.time()
        window = {"start": end - seconds, "end": end, "step": "1s"}
        return self.get("/api/v1/query_range", query=expr, **window)["result"]

    def value(self, expr: str) -> float | None:
        """The first sample of `expr` now, or None when it has no series."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> list[dict[str, Any]]:
        """Every pending or firing alert (GET /api/v1/alerts)."""
        return self.get("/api/v1/alerts")["alerts"]

    def rule_groups(self) -> list[dict[str, Any]]:
        """The loaded rule groups, each with the `interval` (seconds) it is evaluated at
        (GET /api/v1/rules)."""
        return self.get("/api/v1/rules")["groups"]

    def ready(self) -> bool:
        try:
            return self._client.get("/-/ready").status_code == 200
        except httpx.HTTPError:
            return False
