"""A generic vendor (Shopify, Twilio, ...): the api probe exactly as configured."""

from __future__ import annotations

import httpx

from ..vendor_kinds import GENERIC
from .api_get import probe_api as _probe_api
from .result import ProbeResult
from .target import ProbeTarget


async def probe_api(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    return await _probe_api(target, client, GENERIC.status_reasons)
