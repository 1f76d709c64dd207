"""Turns one finished request into saas_api_requests_total and ..._duration_seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry

from saas_inapp.instrument.headroom import HeadroomRecorder, revision_recorder
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
    tests pass a fake one); `wall_clock` Unix time (default time.time), for when
    rate-limit headers were seen and for Retry-After dates. `account` labels the
    rate-limit headroom series: give the account's name in the exporter's config, so the
    rule pack joins the application's headroom with the probe's. `api_revision` declares
    the API revision the application sends (else it is read from the requests' revision
    header, for vendors that have one).
    """

    def __init__(
        self,
        vendor: str | None = None,
        *,
        routes: Iterable[str] = (),
        registry: CollectorRegistry | None = None,
        max_endpoints: int = DEFAULT_MAX_ENDPOINTS,
        clock: Clock | None = None,
        account: str = "",
        wall_clock: Clock | None = None,
        api_revision: str | None = None,
    ) -> None:
        self._vendor = vendor
        self._extra_routes = tuple(routes)
        self._metrics = inapp_metrics(registry)
        self._max_endpoints = max_endpoints
        self.clock = clock or time.perf_counter
        self._templaters: dict[str, EndpointTemplater] = {}
        self._lock = threading.Lock()
        self._headroom = HeadroomRecorder(self._metrics, account, wall_clock or time.time)
        self.revisions = revision_recorder(self._metrics)
        if api_revision:
            if vendor is None:
                raise ValueError("api_revision needs the vendor it is sent to (vendor=...)")
            self.revisions.declare(vendor, api_revision)

    def record(
        self,
        host: str,
        path: str,
        code: str,
        seconds: float,
        response_headers: Mapping[str, str] | None = None,
        request_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Counts a request to `host` + `path` that ended with `code` after `seconds`;
        with a response's headers, records the headroom they carry; with the request's,
        the API revision it sent."""
        vendor = self.vendor_for(host)
        endpoint = self._templater(vendor).template(path)
        self._metrics.requests.labels(vendor=vendor, endpoint=endpoint, code=code).inc()
        self._metrics.request_duration.labels(vendor=vendor, endpoint=endpoint).observe(seconds)
        if response_headers is not None and code.isdigit():
            self._headroom.record(vendor, endpoint, int(code), response_headers)
        if request_headers is not None:
            self.revisions.from_request(vendor, request_headers)

    def vendor_for(self, host: str) -> str:
        return self._vendor or vendor_for_host(host)

    def record_retry_sleep(self, vendor: str, seconds: float) -> None:
        """A wait before a retry (the SDK's backoff or a Retry-After wait)."""
        self._metrics.retry_sleep.labels(vendor=vendor).observe(seconds)

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
