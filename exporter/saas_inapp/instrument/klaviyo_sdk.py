"""Instrumentation for the official Klaviyo SDK (`klaviyo-api`, optional).

The SDK sends every call through `KlaviyoAPI.api_client.rest_client.request(...)`
(an OpenAPI-generator REST client over urllib3). This module puts a delegating
wrapper in that attribute: no SDK code or class is modified, and each HTTP attempt,
including each of the SDK's own retries of 429/503/504, is recorded once, with the
rate-limit headers its response carries and the revision header it sent.

The SDK sleeps between retries for `KlaviyoAPI.retry_wrapper.exponential_backoff(n)`
seconds (also while it waits out a Retry-After): that method of the client's own retry
object is wrapped too, and every sleep is observed in saas_api_retry_sleep_seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
        sent = kwargs.get("headers", args[0] if args else None) or {}
        try:
            response = self.inner.request(method, url, *args, **kwargs)
        except Exception as error:
            code = _code_for_exception(error)
            self._record(parts.hostname or "", parts.path, code, started, None, sent)
            raise
        headers = _response_headers(response)
        self._record(parts.hostname or "", parts.path, str(response.status), started, headers, sent)
        return response

    def _record(
        self,
        host: str,
        path: str,
        code: str,
        started: float,
        received: Mapping[str, str] | None,
        sent: Mapping[str, str],
    ) -> None:
        self.recorder.record(
            host,
            path,
            code,
            self.recorder.clock() - started,
            response_headers=received,
            request_headers=sent,
        )

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
    account: str = "",
) -> Any:
    """Records every request `client` (a `klaviyo_api.KlaviyoAPI`) sends, the rate-limit
    headroom its responses carry, the revision it sends and its retry sleeps; returns it.
    `account`: the account's name in the exporter's config (see RequestRecorder).

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
        vendor,
        routes=routes,
        registry=registry,
        max_endpoints=max_endpoints,
        clock=clock,
        account=account,
    )
    # The SDK pins its revision in its default headers: known before the first call.
    recorder.revisions.from_request(vendor, getattr(api_client, "default_headers", None) or {})
    api_client.rest_client = InstrumentedRestClient(rest_client, recorder)
    _observe_retry_sleeps(client, recorder, vendor)
    return client


def _observe_retry_sleeps(client: Any, recorder: RequestRecorder, vendor: str) -> None:
    """Wraps the client's own retry object's backoff, which returns each sleep."""
    retry = getattr(client, "retry_wrapper", None)
    backoff = getattr(retry, "exponential_backoff", None)
    if retry is None or not callable(backoff) or getattr(backoff, "_saas_observed", False):
        return

    def observed(*args: Any, **kwargs: Any) -> Any:
        seconds = backoff(*args, **kwargs)
        if isinstance(seconds, int | float):
            recorder.record_retry_sleep(vendor, float(seconds))
        return seconds

    observed._saas_observed = True  # type: ignore[attr-defined]
    retry.exponential_backoff = observed


def _response_headers(response: Any) -> Mapping[str, str] | None:
    """The SDK's RESTResponse headers (urllib3's, case-insensitive), when it has them."""
    getheaders = getattr(response, "getheaders", None)
    headers = getheaders() if callable(getheaders) else getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


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
