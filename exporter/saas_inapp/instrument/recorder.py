"""Turns one finished request into saas_api_requests_total and ..._duration_seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry

from saas_inapp.instrument.routes import DEFAULT_MAX_ENDPOINTS, EndpointTemplater, RouteTable
from saas_inapp.instrument.vendors import BUILT_IN_ROUTES, vendor_for_host
from saas_inapp.metrics import inapp_metrics

# `code` for requests that got no response (docs/metrics.md).
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"

Clock = Callable[[], float]


class RequestRecorder:
    """Records requests to one vendor (`vendor` given) or to whichever host is called.

    `routes` are extra templates that take precedence over the vendor's built-in
    table. `clock` returns seconds from any fixed origin (default time.perf_counter;
    tests pass a fake one).
    """

    def __init__(
        self,
        vendor: str | None = None,
        *,
        routes: Iterable[str] = (),
        registry: CollectorRegistry | None = None,
        max_endpoints: int = DEFAULT_MAX_ENDPOINTS,
        clock: Clock | None = None,
    ) -> None:
        self._vendor = vendor
        self._extra_routes = tuple(routes)
        self._metrics = inapp_metrics(registry)
        self._max_endpoints = max_endpoints
        self.clock = clock or time.perf_counter
        self._templaters: dict[str, EndpointTemplater] = {}
        self._lock = threading.Lock()

    def record(self, host: str, path: str, code: str, seconds: float) -> None:
        """Counts a request to `host` + `path` that ended with `code` after `seconds`."""
        vendor = self._vendor or vendor_for_host(host)
        endpoint = self._templater(vendor).template(path)
        self._metrics.requests.labels(vendor=vendor, endpoint=endpoint, code=code).inc()
        self._metrics.request_duration.labels(vendor=vendor, endpoint=endpoint).observe(seconds)

    def _templater(self, vendor: str) -> EndpointTemplater:
        with self._lock:
            templater = self._templaters.get(vendor)
            if templater is None:
                # Extra routes go in last: a template of the same shape replaces the built-in.
                table = RouteTable(BUILT_IN_ROUTES.get(vendor, ()))
                for template in self._extra_routes:
                    table.add(template)
                templater = EndpointTemplater(table, self._max_endpoints)
                self._templaters[vendor] = templater
            return templater
