"""The drill's scenarios: a simulator fault and the notifications the pack must produce.

Receivers are the capture paths of the drill's Alertmanager copy: Slack by channel,
PagerDuty and webhooks by receiver name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECEIVERS_BY_PRIORITY: dict[str, tuple[str, ...]] = {
    "P1": ("/pagerduty/p1-page-high", "/slack/saas-incidents"),
    "P2": ("/pagerduty/p2-page-low", "/slack/saas-incidents"),
    "P3": ("/slack/saas-alerts", "/webhook/p3-ticket"),
    "P4": ("/slack/saas-alerts",),
}


@dataclass(frozen=True)
class Expected:
    alertname: str
    priority: str
    cause: str
    account: str = "main"  # "" for vendor-wide alerts

    @property
    def receivers(self) -> tuple[str, ...]:
        return RECEIVERS_BY_PRIORITY[self.priority]


@dataclass(frozen=True)
class Scenario:
    name: str
    simulator: str  # the simulator scenario that breaks the vendor
    expected: tuple[Expected, ...]
    params: dict[str, Any] = field(default_factory=dict)
    what: str = ""


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "auth failure",
        "auth_failure",
        (Expected("SaasProbeAuthFailing", "P1", "integration"),),
        what="the key is revoked: every API call answers 401",
    ),
    Scenario(
        "outage",
        "outage_5xx",
        (Expected("SaasProbeUnreachable", "P1", "integration"),),
        what="the API answers 500 while the vendor's status page stays green",
    ),
    Scenario(
        "rate limiting",
        "rate_limited",
        (
            Expected("SaasProbeRateLimited", "P2", "integration"),
            Expected("SaasRateLimitHeadroomLow", "P3", "integration"),
        ),
        # Retry-After of one probe interval keeps the probes running (and fresh).
        params={"retry_after_seconds": 1},
        what="the account's budget is spent: 429 with Retry-After",
    ),
    Scenario(
        "vendor incident",
        "vendor_incident",
        (
            Expected("SaasProbeUnreachable", "P1", "vendor"),
            Expected("SaasVendorIncidentMajor", "P2", "vendor", account=""),
            Expected("SaasVendorComponentDegraded", "P3", "vendor", account=""),
        ),
        what="the API answers 503 and the status page shows a major incident",
    ),
    Scenario(
        "status page down",
        "statuspage_down",
        (Expected("SaasStatusPageUnreachable", "P4", "infrastructure", account=""),),
        what="the API is fine but the vendor's status page answers 503",
    ),
)
