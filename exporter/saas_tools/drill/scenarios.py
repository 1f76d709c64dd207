"""The drill's scenarios: simulator faults and the notifications the pack must produce.

The drill probes Klaviyo (accounts `main`, `eu` and `us`) and Clay (account `main`)
together, so every scenario also proves that the vendor and the accounts it leaves
healthy stay silent, and the scenarios breaking both at once prove that inhibition,
grouping and the `cause` label stay per vendor. A fault hits account `main` unless it
names others. Receivers are the capture paths of the drill's Alertmanager copy: Slack by
channel, PagerDuty and webhooks by receiver name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RECEIVERS_BY_PRIORITY: dict[str, tuple[str, ...]] = {
    "P1": ("/pagerduty/p1-page-high", "/slack/saas-incidents"),
    "P2": ("/pagerduty/p2-page-low", "/slack/saas-incidents"),
    "P3": ("/slack/saas-alerts", "/webhook/p3-ticket"),
    "P4": ("/slack/saas-alerts",),
}


VENDORS = ("klaviyo", "clay")  # the vendors the drill probes
# The accounts the drill probes per vendor: several Klaviyo accounts, so one failing
# account is seen for what it is, and all of them failing at once is vendor-wide.
ACCOUNTS: dict[str, tuple[str, ...]] = {"klaviyo": ("main", "eu", "us"), "clay": ("main",)}


@dataclass(frozen=True)
class Expected:
    alertname: str
    priority: str
    cause: str
    account: str = "main"  # "" for vendor-wide alerts
    vendor: str = "klaviyo"

    @property
    def receivers(self) -> tuple[str, ...]:
        return RECEIVERS_BY_PRIORITY[self.priority]


@dataclass(frozen=True)
class Fault:
    vendor: str
    simulator: str  # the simulator scenario that breaks the vendor
    params: dict[str, Any] = field(default_factory=dict)
    # The accounts the API fault hits (the others stay healthy).
    accounts: tuple[str, ...] = ("main",)
    # What the status page shows meanwhile, when not the API fault's own page.
    page: str | None = None

    def __str__(self) -> str:
        hit = "" if self.accounts == ("main",) else f" on {', '.join(self.accounts)}"
        page = f" (status page: {self.page})" if self.page else ""
        return f"{self.vendor} {self.simulator}{hit}{page}"


@dataclass(frozen=True)
class Announced:
    """A maintenance window the vendor announces before the faults (an item of the
    simulator's POST /-/maintenances), turned into silences by `saas-exporter silences
    sync` before the faults and expired by it (the maintenance cancelled) after."""

    vendor: str
    window: Mapping[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: tuple[Fault, ...]
    expected: tuple[Expected, ...]
    what: str = ""
    # Faults of other vendors, applied once every notification expected from the first
    # faults' vendors has arrived: their alerts fire while the first ones are firing
    # (an inhibition mutes only alerts that fire while its source fires). In a scenario
    # with an announced maintenance, the same vendor's next fault (drill/maintenance.py).
    then: tuple[Fault, ...] = ()
    # An announced maintenance, and the alerts its silence must hold: they fire and reach
    # Alertmanager during the first faults, and no notification of them ever goes out.
    announced: Announced | None = None
    silenced: tuple[Expected, ...] = ()

    @property
    def id(self) -> str:
        return self.name.replace(" ", "_").replace(",", "")

    @property
    def all_faults(self) -> tuple[Fault, ...]:
        return self.faults + self.then

    def stage_of(self, vendor: str) -> int:
        """0 for a vendor broken at the start, 1 for one broken by `then`."""
        return 1 if vendor in {f.vendor for f in self.then} else 0


# The window the maintenance scenario announces: in progress on the Klaviyo API.
API_MAINTENANCE = Announced(
    "klaviyo",
    {
        "id": "drill-api-maintenance",
        "name": "Klaviyo API database upgrade",
        "components": ["Klaviyo API"],
        "starts_in_seconds": -60,
        "duration_seconds": 3600,
    },
)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "auth failure",
        (Fault("klaviyo", "auth_failure"),),
        (Expected("SaasProbeAuthFailing", "P1", "integration"),),
        what="the key is revoked: every API call answers 401",
    ),
    Scenario(
        "outage",
        (Fault("klaviyo", "outage_5xx"),),
        (Expected("SaasProbeUnreachable", "P1", "integration"),),
        what="account main's API answers 500 (its other accounts are fine) while the "
        "vendor's status page stays green: one account is never the vendor's",
    ),
    Scenario(
        "rate limiting",
        # Retry-After of one probe interval keeps the probes running (and fresh).
        (Fault("klaviyo", "rate_limited", {"retry_after_seconds": 1}),),
        (
            Expected("SaasProbeRateLimited", "P2", "integration"),
            Expected("SaasRateLimitHeadroomLow", "P3", "integration"),
        ),
        what="the account's budget is spent: 429 with Retry-After",
    ),
    Scenario(
        "vendor incident",
        (Fault("klaviyo", "vendor_incident"),),
        (
            Expected("SaasProbeUnreachable", "P1", "vendor"),
            Expected("SaasVendorIncidentMajor", "P2", "vendor", account=""),
            Expected("SaasVendorComponentDegraded", "P3", "vendor", account=""),
        ),
        what="the API answers 503 and the status page shows a major incident",
    ),
    Scenario(
        # A revoked key is ours even while the vendor's page shows a minor incident on a
        # component that is not its API: the P1 says integration, the page's own alerts
        # report the vendor's incident beside it.
        "revoked key during an unrelated minor incident",
        (Fault("klaviyo", "auth_failure", page="minor_incident"),),
        (
            Expected("SaasProbeAuthFailing", "P1", "integration"),
            Expected("SaasVendorIncidentMinor", "P3", "vendor", account=""),
            Expected("SaasVendorComponentDegraded", "P3", "vendor", account=""),
        ),
        what="every call answers 401 while the status page shows a minor incident on "
        "Signup Forms (the Klaviyo API component operational)",
    ),
    Scenario(
        # One vendor-wide page, vendor-side, while the status page is green; the three
        # per-account SaasProbeUnreachable pages are muted (any would be unexpected).
        "three accounts fail at once, page green",
        (Fault("klaviyo", "outage_5xx", accounts=ACCOUNTS["klaviyo"]),),
        (Expected("SaasVendorWideFailure", "P1", "vendor", account=""),),
        what="all three Klaviyo accounts answer 500 while the status page stays green",
    ),
    Scenario(
        "status page down",
        (Fault("klaviyo", "statuspage_down"),),
        (Expected("SaasStatusPageUnreachable", "P4", "infrastructure", account=""),),
        what="the API is fine but the vendor's status page answers 503",
    ),
    Scenario(
        "clay credits exhausted",
        (Fault("clay", "credits_exhausted"),),
        (Expected("SaasCreditsExhausted", "P2", "integration", vendor="clay"),),
        what="Clay answers 402: the workspace's credits are spent",
    ),
    Scenario(
        "klaviyo P1, then clay P2",
        (Fault("klaviyo", "outage_5xx"),),
        (
            Expected("SaasProbeUnreachable", "P1", "integration"),
            # Same account name, other vendor: Klaviyo's firing P1 must not mute it.
            Expected("SaasCreditsExhausted", "P2", "integration", vendor="clay"),
        ),
        then=(Fault("clay", "credits_exhausted"),),
        what="Klaviyo's API answers 500; once it pages, Clay's credits run out "
        "(both accounts are `main`)",
    ),
    Scenario(
        # Clay's incident on its own, then, while its P1 pages, a Klaviyo P2 whose cause
        # would say "vendor" if Clay's incident leaked into Klaviyo's alerts.
        "clay vendor incident, then klaviyo P2",
        (Fault("clay", "vendor_incident"),),
        (
            Expected("SaasProbeUnreachable", "P1", "vendor", vendor="clay"),
            # The Rootly page lists no components: no SaasVendorComponentDegraded.
            Expected("SaasVendorIncidentMajor", "P2", "vendor", account="", vendor="clay"),
            # Clay's firing P1 must not mute it, nor Clay's incident make it vendor-side.
            Expected("SaasCloudflareChallenge", "P2", "integration"),
        ),
        then=(Fault("klaviyo", "cloudflare_challenge"),),
        what="Clay's API answers 503 and its Rootly page shows a major incident; once "
        "Clay pages, Klaviyo's edge challenges the probe",
    ),
    Scenario(
        # The vendor announced a maintenance of its API: `silences sync` silences what it
        # explains. Every account failing at once during the window pages nobody (the
        # vendor-wide failure and the per-account pages are silenced, vendor-caused);
        # then a revoked key during the same window pages P1 (never silenceable).
        "announced maintenance, then a revoked key",
        (Fault("klaviyo", "outage_5xx", accounts=ACCOUNTS["klaviyo"]),),
        # The API component is under maintenance: the cause rule says vendor.
        (Expected("SaasProbeAuthFailing", "P1", "vendor"),),
        then=(Fault("klaviyo", "auth_failure"),),
        announced=API_MAINTENANCE,
        silenced=(
            Expected("SaasVendorWideFailure", "P1", "vendor", account=""),
            Expected("SaasProbeUnreachable", "P1", "vendor"),
        ),
        what="Klaviyo announces a maintenance of its API (silences synced); all three "
        "accounts answer 500 during the window, then account main's key is revoked",
    ),
)
