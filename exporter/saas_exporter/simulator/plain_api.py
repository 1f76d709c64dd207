"""A fake plain-JSON vendor API (not JSON:API): the shared behaviour of Clay and Acme.

Each fake vendor is a ``PlainApi`` profile: the header the key goes in, its rate-limit
header names and limit, the body of a healthy answer, and scenarios of its own
(Clay's 402 ``credits_exhausted``). The common scenarios behave as for Klaviyo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .responses import Response, html_response, is_revoked, json_response
from .scenarios import ScenarioState

LOW_HEADROOM_REMAINING = 2


@dataclass(frozen=True)
class PlainApi:
    vendor: str
    auth_header: str
    auth_prefix: str
    key_prefix: str  # keys "<key_prefix><ID>" answer for account ID
    default_account_id: str
    # Rate-limit header names: (limit, remaining, reset); reset is seconds.
    ratelimit_names: tuple[str, str, str]
    limit_per_minute: int
    document: Callable[[str, str], dict]  # (account id, base url) -> body
    extra_failures: Mapping[str, Callable[[ScenarioState], Response]] = field(default_factory=dict)

    def account_id_for(self, key: str) -> str:
        rest = key[len(self.key_prefix) :] if key.startswith(self.key_prefix) else ""
        return rest[:64] if rest.isalnum() else self.default_account_id


class MinuteWindows:
    """Fixed 60 s windows per key, for the x-ratelimit-* headers."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def take(self, key: str) -> tuple[int, float]:
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            start, used = self._windows.get(key, (minute, 0))
            if start != minute:
                start, used = minute, 0
            self._windows[key] = (start, used + 1)
        return used + 1, (minute + 1) * 60 - now


def error(status: int, message: str, headers=None) -> Response:
    return json_response(status, {"message": message}, "application/json", headers)


def _common_failure(scenario: ScenarioState) -> Response | None:
    name = scenario.name
    if name == "auth_failure":
        return error(401, "Invalid API key")
    if name == "forbidden":
        return error(403, "This API key does not have access to this resource")
    if name == "cloudflare_challenge":
        return html_response(
            403, "Just a moment...", {"cf-mitigated": "challenge", "server": "cloudflare"}
        )
    if name == "rate_limited":
        return error(429, "Too many requests", {"retry-after": str(scenario.retry_after_seconds)})
    if name == "outage_5xx":
        return error(500, "Internal server error")
    if name == "vendor_incident":
        return html_response(503, "503 Service Temporarily Unavailable")
    return None


def handle(
    api: PlainApi,
    headers: Mapping[str, str],
    scenario: ScenarioState,
    windows: MinuteWindows,
    base_url: str,
    sleep=time.sleep,
) -> Response:
    value = headers.get(api.auth_header, "")
    if not value.startswith(api.auth_prefix) or not value[len(api.auth_prefix) :].strip():
        expected = f"{api.auth_header}: {api.auth_prefix}<key>"
        return error(401, f"Missing API key: send it as {expected}")
    key = value[len(api.auth_prefix) :].strip()
    scenario = scenario.for_account(api.account_id_for(key))
    if is_revoked(key):
        return error(401, "Invalid API key")
    extra = api.extra_failures.get(scenario.name)
    failure = extra(scenario) if extra else _common_failure(scenario)
    if failure:
        return failure
    if scenario.name == "slow":
        sleep(scenario.delay_seconds)
    used, reset = windows.take(f"{api.vendor}:{key}")
    remaining = max(0, api.limit_per_minute - used)
    if scenario.name == "low_headroom":
        remaining = min(remaining, LOW_HEADROOM_REMAINING)
    limit_name, remaining_name, reset_name = api.ratelimit_names
    rate_headers = {
        limit_name: str(api.limit_per_minute),
        remaining_name: str(remaining),
        reset_name: str(int(reset)),
    }
    body = api.document(api.account_id_for(key), base_url)
    return json_response(200, body, "application/json", rate_headers)
