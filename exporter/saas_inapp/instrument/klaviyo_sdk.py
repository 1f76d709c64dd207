"""Instrumentation for the official Klaviyo SDK (`klaviyo-api`, optional).

The SDK sends every call through `KlaviyoAPI.api_client.rest_client.request(...)`
(an OpenAPI-generator REST client over urllib3). This module puts a delegating
wrapper in that attribute: no SDK code or class is modified, and each HTTP attempt,
including each of the SDK's own retries of 429/503/504, is recorded once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry

from saas_inapp.instrument.recorder import (
    CONNECTION_ERROR,
    TIMEOUT,
    Clock,
    RequestRecorder,
)
from saas_inapp.instrument.routes import DEFAULT_MAX_ENDPOINTS
from saas_inapp.instrument.vendors import KLAVIYO


class InstrumentedRestClient:
    """Stands in for the SDK's REST client: times `request`, delegates everything else."""

    def __init__(self, inner: Any, recorder: RequestRecorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        started = self.recorder.clock()
        parts = urlsplit(url)
        try:
            response = self.inner.request(method, url, *args, **kwargs)
        except Exception as error:
            self._record(parts.hostname or "", parts.path, _code_for_exception(error), started)
            raise
        self._record(parts.hostname or "", parts.path, str(response.status), started)
        return response

    def _record(self, host: str, path: str, code: str, started: float) -> None:
        self.recorder.record(host, path, code, self.recorder.clock() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def instrument_klaviyo_sdk(
    client: Any,
    *,
    vendor: str = KLAVIYO,
    routes: Iterable[str] = (),
    registry: CollectorRegistry | None = None,
    max_endpoints: int = DEFAULT_MAX_ENDPOINTS,
    clock: Clock | None = None,
) -> Any:
    """Records every request `client` (a `klaviyo_api.KlaviyoAPI`) sends; returns it.

    Idempotent: instrumenting an instrumented client changes nothing.
    """
    api_client = getattr(client, "api_client", None)
    rest_client = getattr(api_client, "rest_client", None)
    if (
        api_client is None
        or rest_client is None
        or not callable(getattr(rest_client, "request", None))
    ):
        raise TypeError(
            "expected a klaviyo_api.KlaviyoAPI with api_client.rest_client.request(); "
            f"got {type(client).__name__}"
        )
    if isinstance(rest_client, InstrumentedRestClient):
        return client
    recorder = RequestRecorder(
        vendor, routes=routes, registry=registry, max_endpoints=max_endpoints, clock=clock
    )
    api_client.rest_client = InstrumentedRestClient(rest_client, recorder)
    return client


def _code_for_exception(error: Exception) -> str:
    # urllib3 is the SDK's dependency, not ours: import it only when the SDK is used.
    import urllib3.exceptions

    reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
    # NewConnectionError (refused, unresolvable) subclasses ConnectTimeoutError in urllib3.
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return CONNECTION_ERROR
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return TIMEOUT
    return CONNECTION_ERROR
