"""One HTTP request per probe, and how a response or an error maps to a failure reason."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from .. import __version__
from ..ratelimit_headers import parse_named_rate_limit_headers
from ..redaction import redact
from ..retry_after import parse_retry_after
from .result import ProbeResult

USER_AGENT = f"saas-exporter/{__version__} (+synthetic probe)"
_MAX_DETAIL = 200


@dataclass(frozen=True)
class Exchange:
    """A completed request: the response (or None) and what went wrong on the wire."""

    response: httpx.Response | None
    duration_seconds: float
    finished_at: float
    transport_reason: str | None = None
    transport_error: str = ""


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


async def exchange(
    client: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    params: Mapping[str, str] | None = None,
    clock=time.time,
) -> Exchange:
    start = time.perf_counter()
    try:
        response = await client.get(
            url,
            headers={"user-agent": USER_AGENT, **headers},
            params=params,
            timeout=timeout,
            follow_redirects=False,
        )
    except httpx.HTTPError as err:
        reason = _transport_reason(err)
        if reason == "timeout":
            message = f"{type(err).__name__}: no response within {timeout:g}s"
        else:
            message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return Exchange(None, time.perf_counter() - start, clock(), reason, redact(message))
    return Exchange(response, time.perf_counter() - start, clock())


def json_body(response: httpx.Response) -> Any | None:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


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


def error_detail(response: httpx.Response) -> str:
    """The vendor's own words (JSON:API errors[0].detail), or what the body was instead."""
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict):
            text = first.get("detail") or first.get("title") or first.get("code") or ""
            if text:
                return redact(str(text))[:_MAX_DETAIL]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return redact(body["message"])[:_MAX_DETAIL]
    if not response.content:
        return "empty body"
    if _looks_like_html(response):
        return "HTML page instead of JSON"
    return "body is not JSON"


def classify_status(response: httpx.Response, auth_on_400: bool) -> str | None:
    """Failure reason for a non-success status, None for 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return None
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
        location = response.headers.get("location", "nowhere")
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
) -> tuple[ProbeResult, httpx.Response | None]:
    """One request, classified: ``(failed result, None)`` when the wire, the status or a
    non-200 success already decided the outcome, else ``(base result, the 200 response)``
    for the probe to validate."""
    ex = await exchange(client, url, headers, timeout, params=params)
    result = base_result(ex, read_rate_limits=True)
    if ex.response is None:
        return result, None
    reason = classify_status(ex.response, auth_on_400=auth_on_400)
    if reason:
        return http_failure(result, ex.response, reason), None
    if ex.response.status_code != 200:
        status = ex.response.status_code
        return failed(result, "invalid_response", f"{status}: expected 200"), None
    return result, ex.response
