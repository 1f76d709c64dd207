"""One HTTP request per probe, and how a response or an error maps to a failure reason."""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from .. import __version__, bounded_json
from ..config import ResponseLimits
from ..ratelimit_headers import parse_named_rate_limit_headers, parse_rate_limit_headers
from ..redaction import redact
from ..retry_after import parse_retry_after
from .body import (
    ACCEPT_ENCODING,
    CLIENT_MAX_HEADER_BYTES,
    AnswerRejected,
    check_headers,
    decoded_response,
    read_body,
    size_text,
)
from .result import ProbeResult
from .text import vendor_text

USER_AGENT = f"saas-exporter/{__version__} (+synthetic probe)"
_MAX_DETAIL = 200
DEFAULT_LIMITS = ResponseLimits()
# The HTTP client's own timeouts (connect, each read) fire first when nothing arrives;
# this bounds the whole answer, for a body that keeps trickling in.
WHOLE_ANSWER_SLACK = 0.25
# The client's timeout for each step before the response headers (httpcore's trace
# events, which the probes' transport sends too).
_STEP_TIMEOUTS = {
    "connection.connect_tcp.started": "ConnectTimeout",
    "send_request_headers.started": "WriteTimeout",
    "receive_response_headers.started": "ReadTimeout",
}


class _Progress:
    """Which step of the request is under way, from httpcore's trace events. The
    whole-answer deadline starts before connecting, the client's read timeout only once
    the request is sent: when connecting took longer than the slack (a distant vendor's
    TLS handshake, a busy machine), the deadline fires first though nothing arrived, and
    the failure is named as the client's own timeout for that step would name it."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def __call__(self, event: str, _info: dict[str, Any]) -> None:
        self.events.append(event)  # only kept: a probe's hot path; read on a timeout

    @property
    def timeout_name(self) -> str | None:
        """The client's timeout for the last step begun; None: no step known, or the
        response headers had arrived."""
        name = None
        for event in self.events:
            for suffix, step_name in _STEP_TIMEOUTS.items():
                if event.endswith(suffix):
                    name = step_name
            if event.endswith("receive_response_headers.complete"):
                name = None
        return name


@dataclass(frozen=True)
class Exchange:
    """A completed request: the response (or None) and what went wrong on the wire.
    ``http_status`` is kept when the status line arrived but the answer was refused."""

    response: httpx.Response | None
    duration_seconds: float
    finished_at: float
    transport_reason: str | None = None
    transport_error: str = ""
    http_status: int = 0


def _transport_reason(err: Exception) -> str:
    if isinstance(err, httpx.TimeoutException):
        return "timeout"
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return "tls"
        cause = cause.__cause__ or cause.__context__
    if "ssl" in str(err).lower() or "certificate" in str(err).lower():
        return "tls"
    return "connection"


def _header_block_too_long(err: Exception) -> bool:
    # h11 (under the client's transport) refuses a header block past the ceiling this way.
    return isinstance(err, httpx.RemoteProtocolError) and "too long" in str(err).lower()


async def _receive(
    client: httpx.AsyncClient, request: httpx.Request, limits: ResponseLimits
) -> httpx.Response:
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        check_headers(response, limits.max_header_bytes)
        body = await read_body(response, limits.max_body_bytes)
    except AnswerRejected as rejected:
        rejected.http_status = response.status_code
        raise
    finally:
        await response.aclose()
    return decoded_response(response, body)


# What httpx's client would add to every request (its defaults, our user agent).
REQUEST_DEFAULTS = {
    "accept": "*/*",
    "accept-encoding": ACCEPT_ENCODING,
    "connection": "keep-alive",
    "user-agent": USER_AGENT,
}


@functools.lru_cache(maxsize=64)
def request_timeouts(timeout: float) -> dict[str, float | None]:
    """httpx's per-request timeouts (connect, read, write, pool), built once per value."""
    return httpx.Timeout(timeout).as_dict()


@functools.lru_cache(maxsize=4096)
def request_url(url: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
    """A target's URL, parsed once: httpx parses a URL string (twice with params) on
    every request, a fifth of a probe's CPU at 1,000 accounts."""
    parsed = httpx.URL(url)
    return parsed.copy_merge_params(dict(params)) if params else parsed


async def exchange(
    client: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    params: Mapping[str, str] | None = None,
    clock=time.time,
    limits: ResponseLimits = DEFAULT_LIMITS,
) -> Exchange:
    """One GET within bounds: ``timeout`` covers the whole answer (a body trickling a
    byte at a time included), and the answer is read within ``limits``."""
    start = time.perf_counter()

    def refused(reason: str, message: str, status: int = 0) -> Exchange:
        return Exchange(None, time.perf_counter() - start, clock(), reason, redact(message), status)

    progress = _Progress()
    try:
        # A plain Request: the client's merging of base URL, default headers, cookies and
        # params (none of which a probe uses) cost a tenth of a probe's CPU.
        request = httpx.Request(
            "GET",
            request_url(url, tuple(sorted(params.items())) if params else ()),
            headers={**REQUEST_DEFAULTS, **headers},
            extensions={"timeout": request_timeouts(timeout), "trace": progress},
        )
        async with asyncio.timeout(timeout + WHOLE_ANSWER_SLACK):
            response = await _receive(client, request, limits)
    except TimeoutError:
        if progress.timeout_name is not None:
            return refused("timeout", f"{progress.timeout_name}: no response within {timeout:g}s")
        return refused("timeout", f"no complete response within {timeout:g}s")
    except AnswerRejected as rejected:
        return refused(rejected.reason, str(rejected), rejected.http_status)
    except httpx.HTTPError as err:
        if _header_block_too_long(err):
            return refused(
                "too_large",
                f"response headers over {size_text(CLIENT_MAX_HEADER_BYTES)}, "
                "the HTTP client's ceiling",
            )
        reason = _transport_reason(err)
        if reason == "timeout":
            return refused(reason, f"{type(err).__name__}: no response within {timeout:g}s")
        message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return refused(reason, vendor_text(message, 500))
    return Exchange(response, time.perf_counter() - start, clock())


def json_body(response: httpx.Response) -> Any:
    """The body's JSON; ValueError saying what the body is instead ("body is not JSON",
    "body is nested deeper than 64 levels")."""
    try:
        return bounded_json.loads(response.content)
    except bounded_json.JSONRejected as err:
        raise ValueError("body is not JSON" if err.syntax else f"body {err}") from None


def _looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return "html" in ctype or response.content[:200].lstrip().lower().startswith(b"<")


def is_cloudflare_challenge(response: httpx.Response) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if response.status_code in (403, 503) and _looks_like_html(response):
        head = response.content[:4096].lower()
        return b"challenge" in head and (b"cloudflare" in head or b"cf-" in head)
    return False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def vendor_message(body: Any, depth: int = 0) -> str | None:
    """The vendor's own words in an error body, in the shapes APIs use: JSON:API
    ``errors[0].detail``, problem+json (RFC 9457) ``title``/``detail``, ``message`` or
    ``error`` as text or as an object holding one (``{"message": {"message": ...}}``,
    ``{"error": {"message": ...}}``), OAuth's ``error_description``."""
    if depth > 4:
        return None
    if isinstance(body, list):
        return vendor_message(body[0], depth + 1) if body else None
    if not isinstance(body, dict):
        return _text(body)
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        for key in ("detail", "title", "code", "message"):
            if first.get(key) not in (None, ""):
                return str(first[key])
    title, detail = _text(body.get("title")), _text(body.get("detail"))
    if title or detail:
        return ": ".join(t for t in (title, detail) if t)
    for key in ("message", "error_description", "error", "errors", "detail"):
        found = vendor_message(body.get(key), depth + 1)
        if found:
            return found
    return None


def error_detail(response: httpx.Response) -> str:
    """The vendor's own words, or what the body was instead."""
    try:
        found = vendor_message(json_body(response))
    except ValueError:
        found = None
    if found:
        return vendor_text(redact(found), _MAX_DETAIL)
    if not response.content:
        return "empty body"
    if _looks_like_html(response):
        return "HTML page instead of JSON"
    return "body is not JSON"


def throttle_evidence(response: httpx.Response, result: ProbeResult) -> bool:
    """A Retry-After, or a rate-limit header saying nothing remains: the vendor says
    the budget is spent, whatever the status (GitHub throttles with 403 this way)."""
    if "retry-after" in response.headers:
        return True
    info = result.ratelimit or parse_rate_limit_headers(response.headers, result.finished_at).info
    return info is not None and info.remaining == 0


def classify_status(
    response: httpx.Response, auth_on_400: bool, throttled: bool = False
) -> str | None:
    """Failure reason for a non-success status, None for 2xx. ``throttled``: the answer
    carries throttling evidence (throttle_evidence), which makes a 400 or 403 a
    ``throttled``, not a key problem."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if status in (400, 403) and throttled:
        return "throttled"
    if status == 401 or (status == 400 and auth_on_400):
        return "auth"
    if status == 403:
        return "cloudflare_challenge" if is_cloudflare_challenge(response) else "forbidden"
    if status == 429:
        return "throttled"
    if 400 <= status < 500:
        return "client_error"
    if status >= 500:
        return "cloudflare_challenge" if is_cloudflare_challenge(response) else "server_error"
    return "invalid_response"


def base_result(
    ex: Exchange, read_rate_limits: bool, ratelimit_names: Mapping[str, str] | None = None
) -> ProbeResult:
    """Everything a response tells regardless of the probe: status, headers, wire errors."""
    if ex.response is None:
        return ProbeResult(
            success=False,
            duration_seconds=ex.duration_seconds,
            finished_at=ex.finished_at,
            http_status=ex.http_status,
            failure_reason=ex.transport_reason,
            error=ex.transport_error,
        )
    response = ex.response
    invalid: list[str] = []
    ratelimit = None
    if read_rate_limits:
        parsed = parse_named_rate_limit_headers(
            response.headers, ex.finished_at, ratelimit_names or {}
        )
        ratelimit = parsed.info
        invalid += [item.header for item in parsed.invalid]
    retry_after = None
    if "retry-after" in response.headers:
        try:
            retry_after = parse_retry_after(response.headers["retry-after"], ex.finished_at)
        except ValueError:
            invalid.append("retry-after")
    return ProbeResult(
        success=False,
        duration_seconds=ex.duration_seconds,
        finished_at=ex.finished_at,
        http_status=response.status_code,
        ratelimit=ratelimit,
        retry_after_seconds=retry_after,
        invalid_headers=tuple(invalid),
    )


def failed(result: ProbeResult, reason: str, error: str) -> ProbeResult:
    return replace(result, success=False, failure_reason=reason, error=redact(error))


def http_failure(result: ProbeResult, response: httpx.Response, reason: str) -> ProbeResult:
    if response.is_redirect:
        location = vendor_text(response.headers.get("location", "nowhere"), _MAX_DETAIL)
        text = f"{response.status_code}: unexpected redirect to {location}"
    elif reason == "cloudflare_challenge":
        text = f"{response.status_code}: Cloudflare challenge page (cf-mitigated: challenge)"
    else:
        text = f"{response.status_code}: {error_detail(response)}"
    return failed(result, reason, text)


async def fetch_200(
    client: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    *,
    params: Mapping[str, str] | None = None,
    auth_on_400: bool = False,
    limits: ResponseLimits = DEFAULT_LIMITS,
) -> tuple[ProbeResult, httpx.Response | None]:
    """One request, classified: ``(failed result, None)`` when the wire, the status or a
    non-200 success already decided the outcome, else ``(base result, the 200 response)``
    for the probe to validate."""
    ex = await exchange(client, url, headers, timeout, params=params, limits=limits)
    result = base_result(ex, read_rate_limits=True)
    if ex.response is None:
        return result, None
    reason = classify_status(
        ex.response, auth_on_400=auth_on_400, throttled=throttle_evidence(ex.response, result)
    )
    if reason:
        return http_failure(result, ex.response, reason), None
    if ex.response.status_code != 200:
        status = ex.response.status_code
        return failed(result, "invalid_response", f"{status}: expected 200"), None
    return result, ex.response
