"""httpx transports that record every request to a SaaS vendor.

A transport wrapper rather than event hooks: hooks never see a request that ended
in a timeout or a connection failure, and those are the requests an incident is
made of. Duration is measured until the response headers arrive (the body is read
later, by the caller, at the caller's pace).
"""

from __future__ import annotations

import urllib.request
import warnings
from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from saas_inapp.instrument.recorder import (
    CONNECTION_ERROR,
    TIMEOUT,
    Clock,
    RequestRecorder,
)
from saas_inapp.instrument.routes import DEFAULT_MAX_ENDPOINTS


def code_for_transport_error(error: httpx.TransportError) -> str:
    return TIMEOUT if isinstance(error, httpx.TimeoutException) else CONNECTION_ERROR


class InstrumentedTransport(httpx.BaseTransport):
    """Wraps a sync transport (default: a plain httpx.HTTPTransport)."""

    def __init__(self, recorder: RequestRecorder, inner: httpx.BaseTransport | None = None):
        self.recorder = recorder
        self.inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = self.recorder.clock()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as error:
            _record(self.recorder, request, code_for_transport_error(error), started)
            raise
        _record(self.recorder, request, str(response.status_code), started, response)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncInstrumentedTransport(httpx.AsyncBaseTransport):
    """Wraps an async transport (default: a plain httpx.AsyncHTTPTransport)."""

    def __init__(self, recorder: RequestRecorder, inner: httpx.AsyncBaseTransport | None = None):
        self.recorder = recorder
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self.recorder.clock()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as error:
            _record(self.recorder, request, code_for_transport_error(error), started)
            raise
        _record(self.recorder, request, str(response.status_code), started, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _record(
    recorder: RequestRecorder,
    request: httpx.Request,
    code: str,
    started: float,
    response: httpx.Response | None = None,
) -> None:
    recorder.record(
        request.url.host,
        request.url.path,
        code,
        recorder.clock() - started,
        response_headers=response.headers if response is not None else None,
        request_headers=request.headers,
    )


# httpx ignores these Client arguments once a transport is given: they belong to
# the transport, so the factories below hand them to the one they build.
_TRANSPORT_ARGUMENTS = ("verify", "cert", "http1", "http2", "limits", "proxy", "trust_env")


def instrumented_client(
    vendor: str | None = None,
    *,
    routes: Iterable[str] = (),
    registry: CollectorRegistry | None = None,
    max_endpoints: int = DEFAULT_MAX_ENDPOINTS,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
    account: str = "",
    api_revision: str | None = None,
    wall_clock: Clock | None = None,
    **client_arguments: Any,
) -> httpx.Client:
    """An httpx.Client whose requests are recorded (counts, latency, rate-limit headroom,
    the API revision sent); `account` and `api_revision` as in RequestRecorder; other
    arguments go to httpx.Client."""
    recorder = RequestRecorder(
        vendor,
        routes=routes,
        registry=registry,
        max_endpoints=max_endpoints,
        clock=clock,
        account=account,
        api_revision=api_revision,
        wall_clock=wall_clock,
    )
    inner = transport or httpx.HTTPTransport(**_transport_arguments(client_arguments))
    return httpx.Client(transport=InstrumentedTransport(recorder, inner), **client_arguments)


def instrumented_async_client(
    vendor: str | None = None,
    *,
    routes: Iterable[str] = (),
    registry: CollectorRegistry | None = None,
    max_endpoints: int = DEFAULT_MAX_ENDPOINTS,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    account: str = "",
    api_revision: str | None = None,
    wall_clock: Clock | None = None,
    **client_arguments: Any,
) -> httpx.AsyncClient:
    """An httpx.AsyncClient whose requests are recorded; see `instrumented_client`."""
    recorder = RequestRecorder(
        vendor,
        routes=routes,
        registry=registry,
        max_endpoints=max_endpoints,
        clock=clock,
        account=account,
        api_revision=api_revision,
        wall_clock=wall_clock,
    )
    inner = transport or httpx.AsyncHTTPTransport(**_transport_arguments(client_arguments))
    return httpx.AsyncClient(
        transport=AsyncInstrumentedTransport(recorder, inner), **client_arguments
    )


def _transport_arguments(client_arguments: dict[str, Any]) -> dict[str, Any]:
    """Moves transport arguments out of `client_arguments` (trust_env stays in both)."""
    moved = {
        name: client_arguments.pop(name)
        for name in _TRANSPORT_ARGUMENTS
        if name in client_arguments and name != "trust_env"
    }
    trust_env = client_arguments.get("trust_env", True)
    moved["trust_env"] = trust_env
    if trust_env and "proxy" not in moved and _environment_has_proxy():
        # httpx reads proxy variables only when it builds the transport itself.
        warnings.warn(
            "a proxy is set in the environment, but httpx does not apply environment "
            "proxies to a client built with a transport: pass proxy=... to use one",
            stacklevel=3,
        )
    return moved


def _environment_has_proxy() -> bool:
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))
