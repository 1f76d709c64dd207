"""Probers, one module per vendor API or page format, all with one signature:

    async def probe(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult

A failed probe is a result with ``success=False`` and a reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from . import clay, generic, klaviyo, statuspage
from .result import FAILURE_REASONS, ProbeResult
from .target import ProbeTarget, targets_for

Prober = Callable[[ProbeTarget, httpx.AsyncClient], Awaitable[ProbeResult]]

PROBERS: dict[tuple[str, str], Prober] = {
    ("klaviyo", "accounts"): klaviyo.probe_accounts,
    ("klaviyo", "profiles"): klaviyo.probe_profiles,
    ("clay", "api"): clay.probe_api,
    ("generic", "api"): generic.probe_api,
}


def prober_for(target: ProbeTarget) -> Prober:
    if target.probe == "statuspage":
        return statuspage.probe_statuspage
    return PROBERS[(target.vendor.kind, target.probe)]


__all__ = ["FAILURE_REASONS", "PROBERS", "ProbeResult", "ProbeTarget", "prober_for", "targets_for"]
