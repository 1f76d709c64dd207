"""Simulator scenarios: what the fake vendor does, switchable at runtime."""

from __future__ import annotations

from dataclasses import dataclass, replace

SCENARIOS: dict[str, str] = {
    "healthy": "API answers 200 with rate-limit headers; status page all operational",
    "auth_failure": "API answers 401 authentication_failed (revoked or rotated key)",
    "forbidden": "API answers 403 permission_denied (key lacks a scope)",
    "cloudflare_challenge": "API answers a 403 HTML bot challenge with cf-mitigated: challenge",
    "rate_limited": "API answers 429 throttled with Retry-After (seconds)",
    "low_headroom": "API answers 200 but ratelimit-remaining is nearly spent",
    "outage_5xx": "API answers 500 server errors; status page still all operational",
    "slow": "API answers 200 after a delay (default 6 s, above the 5 s latency threshold)",
    "vendor_incident": "API answers 503; status page shows a major incident on the API",
    "minor_incident": "API healthy; status page shows a minor incident on a non-API component",
    "maintenance": "API healthy; status page shows a maintenance in progress",
    "statuspage_down": "API healthy; the status page itself answers 503",
    "credits_exhausted": "Clay only: API answers 402 (workspace credits or actions exhausted)",
}
# Scenarios that only one kind of fake vendor has; the others apply to every vendor.
ONLY_FOR: dict[str, tuple[str, ...]] = {"credits_exhausted": ("clay",)}


def applies_to(scenario: str, vendor: str) -> bool:
    return vendor in ONLY_FOR.get(scenario, (vendor,))


@dataclass
class ScenarioState:
    name: str = "healthy"
    retry_after_seconds: int = 30
    delay_seconds: float = 6.0
    since: float = 0.0
    # The scenario the status page shows, when not the API's (a revoked key while the
    # page shows an unrelated minor incident); None: the same as the API's.
    page: str | None = None
    # The accounts (ids the keys answer for) the API scenario hits; None: every account.
    # The others are answered as healthy.
    accounts: tuple[str, ...] | None = None

    def for_page(self) -> ScenarioState:
        return self if self.page is None else replace(self, name=self.page, page=None)

    def for_account(self, account_id: str) -> ScenarioState:
        if self.accounts is None or account_id in self.accounts:
            return self
        return replace(self, name="healthy", accounts=None)

    def describe(self) -> dict[str, object]:
        return {
            "scenario": self.name,
            "description": SCENARIOS[self.name],
            "retry_after_seconds": self.retry_after_seconds,
            "delay_seconds": self.delay_seconds,
            "page": self.page or self.name,
            "accounts": list(self.accounts) if self.accounts is not None else "all",
        }
