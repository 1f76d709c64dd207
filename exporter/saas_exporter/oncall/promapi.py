"""A small client for the Prometheus HTTP API (/api/v1): instant and range queries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

from ..durations import parse_positive_duration

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 11_000


class PrometheusError(Exception):
    """The server could not be reached or refused the query; the message says which."""


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    values: tuple[tuple[float, float], ...]  # (unix time, value)


def parse_since(text: str) -> float:
    """`--since`, a Prometheus duration (30m, 2h, 1d); ValueError says what was expected."""
    return parse_positive_duration(text)


def step_for(window_seconds: float) -> float:
    """1 s for up to an hour, else 15 s; coarser only when the window would exceed MAX_POINTS."""
    preferred = 1.0 if window_seconds <= 3600 else 15.0
    return max(preferred, math.ceil(window_seconds / (MAX_POINTS - 1)))


def aligned_points(start: float, end: float, step: float) -> tuple[float, float, float]:
    """(first, last, step) of a range query whose last point is `end` and whose first
    looks back (one step) no further than `start`."""
    steps = max(1, math.floor((end - start) / step))
    return end - (steps - 1) * step, end, step


def over_steps(selector: str, step: float) -> str:
    """Each point covers the whole step before it: nothing between two points is missed."""
    return f"max_over_time({selector}[{step:g}s])"


class PrometheusClient:
    def __init__(self, base_url: str, timeout: float = 10.0, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout, trust_env=True)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self._client.get(url, params=params)
        except httpx.HTTPError as err:
            raise PrometheusError(f"{url}: {type(err).__name__}: {err}") from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(
                f"{url}: HTTP {response.status_code}, not a Prometheus API answer"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            raise PrometheusError(f"{url}: HTTP {response.status_code}: {error or body}")
        return body.get("data")

    def raw(self, path: str, params: dict[str, str] | None = None) -> Any:
        """The `data` of any API answer, e.g. /api/v1/status/buildinfo."""
        return self._get(path, params)

    def query(self, expr: str, at: float | None = None) -> list[Series]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        return [
            Series(dict(item["metric"]), ((float(item["value"][0]), float(item["value"][1])),))
            for item in data.get("result", [])
        ]

    def query_range_raw(self, expr: str, start: float, end: float, step: float) -> Any:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return self._get("/api/v1/query_range", params)

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        data = self.query_range_raw(expr, start, end, step)
        return [
            Series(dict(item["metric"]), tuple((float(t), float(v)) for t, v in item["values"]))
            for item in data.get("result", [])
        ]
