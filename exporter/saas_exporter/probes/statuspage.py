"""The status-page probe: fetch the vendor's page in the format it speaks.

Formats: Atlassian Statuspage (``/api/v2/summary.json``) and Rootly
(``/api/v1/status.json``). With ``statuspage_format: auto`` (the default) the format
that answered last is tried first, then the other; a page that speaks neither fails
with ``invalid_response`` naming both. A transport error, 401/403/429 or 5xx ends the
probe at once: the page is there but not answering, and that is the failure to report.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

import httpx

from ..catalog import CATALOG
from ..config.model import ResponseLimits
from .atlassian import parse_atlassian_summary
from .http import (
    base_result,
    classify_status,
    exchange,
    failed,
    http_failure,
    json_body,
    throttle_evidence,
)
from .maintenances import capped, fetch_feed
from .result import ProbeResult, StatusPageSnapshot
from .rootly import parse_rootly_status
from .target import ProbeTarget


class Parser(Protocol):
    """A status-page document (and the response limits) -> what the page says."""

    def __call__(self, body: Any, limits: ResponseLimits = ...) -> StatusPageSnapshot: ...


_PARSERS: dict[str, Parser] = {
    "atlassian": parse_atlassian_summary,
    "rootly": parse_rootly_status,
}
# Format -> (display name, summary path, parser); names and paths from the catalog.
FORMATS: dict[str, tuple[str, str, Parser]] = {
    name: (spec.display_name, spec.summary, _PARSERS[name])
    for name, spec in CATALOG.statuspage_formats.items()
}
# Reasons after which another format may still answer (wrong path or wrong shape).
_NOT_THIS_FORMAT = ("client_error", "invalid_response")
# statuspage_url -> the format that answered last (auto detection starts there).
_detected: dict[str, str] = {}


async def _attempt(
    target: ProbeTarget, client: httpx.AsyncClient, page_format: str
) -> tuple[ProbeResult, bool]:
    """The result, and whether it is final (False: the page may speak another format)."""
    _, path, parse = FORMATS[page_format]
    ex = await exchange(
        client,
        f"{target.vendor.statuspage_url}{path}",
        {"accept": "application/json"},
        target.vendor.timeout_seconds,
        limits=target.vendor.limits,
    )
    result = base_result(ex, read_rate_limits=False)
    if ex.response is None:
        return result, True
    status = ex.response.status_code
    reason = classify_status(
        ex.response, auth_on_400=False, throttled=throttle_evidence(ex.response, result)
    )
    if reason:
        return http_failure(result, ex.response, reason), reason not in _NOT_THIS_FORMAT
    try:
        snapshot = parse(json_body(ex.response), target.vendor.limits)
    except ValueError as err:
        return failed(result, "invalid_response", f"{status}: {err}"), False
    return replace(result, success=True, statuspage=snapshot), True


async def probe_statuspage(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    return await _with_maintenances(await _probe_page(target, client), target, client)


async def _with_maintenances(
    result: ProbeResult, target: ProbeTarget, client: httpx.AsyncClient
) -> ProbeResult:
    """A readable page's announced maintenances, from the format's own documents (a
    failed feed leaves the probe successful: the summary is what the probe is for)."""
    page = result.statuspage
    if not result.success or page is None:
        return result
    vendor = target.vendor
    feed = page.maintenances
    if feed is None:
        assert vendor.statuspage_url
        feed = await fetch_feed(
            client,
            vendor.statuspage_url,
            page.page_format,
            vendor.timeout_seconds,
            limits=vendor.limits,
        )
    if feed is None:
        return result
    return replace(
        result, statuspage=replace(page, maintenances=capped(feed, vendor.max_maintenances))
    )


async def _probe_page(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    url = target.vendor.statuspage_url
    assert url
    configured = target.vendor.statuspage_format
    if configured != "auto":
        return (await _attempt(target, client, configured))[0]
    first = _detected.get(url, "atlassian")
    errors: dict[str, str] = {}
    duration = 0.0
    result: ProbeResult | None = None
    for page_format in [first, *(f for f in FORMATS if f != first)]:
        result, final = await _attempt(target, client, page_format)
        duration += result.duration_seconds
        result = replace(result, duration_seconds=duration)
        if result.success:
            _detected[url] = page_format
        if final:
            return result
        errors[page_format] = result.error
    assert result is not None
    # Named in one order, whichever format was tried first.
    tried = [f"{name} (GET {path}: {errors[fmt]})" for fmt, (name, path, _) in FORMATS.items()]
    return failed(result, "invalid_response", f"the page speaks neither {' nor '.join(tried)}")


__all__ = ["FORMATS", "parse_atlassian_summary", "parse_rootly_status", "probe_statuspage"]
