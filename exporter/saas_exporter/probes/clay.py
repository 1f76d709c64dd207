"""Clay: the api probe with the clay-api-key header; 402 means credits are exhausted."""

from __future__ import annotations

import httpx

from ..vendor_kinds import CLAY
from .api_get import probe_api as _probe_api
from .result import ProbeResult
from .target import ProbeTarget


async def probe_api(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    return await _probe_api(target, client, CLAY.status_reasons)
