"""Probers, one module per vendor API or page format, all with one signature:

    async def probe(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult

A failed probe is a result with ``success=False`` and a reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from . import api_get, klaviyo, statuspage
from .result import FAILURE_REASONS, ProbeResult
from .target import ProbeTarget, targets_for

Prober = Callable[[ProbeTarget, httpx.AsyncClient], Awaitable[ProbeResult]]

# One prober per protocol; the catalog says which protocol each kind's probe speaks.
PROBERS: dict[str, Prober] = {
    "klaviyo_accounts": klaviyo.probe_accounts,
    "klaviyo_profiles": klaviyo.probe_profiles,
    "api_get": api_get.probe_api,
    "statuspage": statuspage.probe_statuspage,
}


def prober_for(target: ProbeTarget) -> Prober:
    return PROBERS[target.vendor.kind_spec.probes[target.probe].protocol]


__all__ = ["FAILURE_REASONS", "PROBERS", "ProbeResult", "ProbeTarget", "prober_for", "targets_for"]
