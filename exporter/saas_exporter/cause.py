"""The cause rule: when a failure is the vendor's doing, from the same evidence everywhere.

The rule pack renders it as PromQL (saas_pack.cause_rules), the runbooks in words, and
`saas-exporter triage` applies it to what it observes; tests feed the same evidence to
all three and check that they agree.

Evidence, per vendor:
- its status page, while it can be read: the overall indicator, each listed component's
  status, and which components are the API this integration calls (the catalog's
  `statuspage_api_components`, or the config's);
- its accounts' probe failures, by reason class.

The vendor's side (`cause="vendor"`) when:
1. the indicator is major or critical; or
2. an API component is degraded or in an outage (an incident), or under maintenance
   (vendor maintenance); or
3. the page lists none of the API components (a Rootly page lists no components; a
   generic vendor's may not be named): the indicator stands for the API, so a minor
   indicator is an incident and a maintenance indicator is vendor maintenance; or
4. vendor-wide failure, for alerts about server-side or no-answer failures: at least
   `min_accounts` and at least `min_share` of the vendor's accounts fail with reasons of
   the same such class at once, even while the page is green. One failing account is
   never the vendor's (`min_accounts` is at least 2).

An incident, degradation or maintenance of another component (Klaviyo's Signup Forms)
never makes an alert the vendor's, nor does a minor indicator while the API components
the page lists are operational.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .catalog import CATALOG

# 1. Indicators that are the vendor's whatever the components say.
VENDOR_INDICATORS: tuple[str, ...] = ("major", "critical")
# 2. An API component's statuses: an incident, or vendor maintenance.
API_INCIDENT_STATUSES: tuple[str, ...] = ("degraded_performance", "partial_outage", "major_outage")
API_MAINTENANCE_STATUSES: tuple[str, ...] = ("under_maintenance",)
# 3. Indicators that stand for the API when the page lists none of its components.
FALLBACK_INCIDENT_INDICATORS: tuple[str, ...] = ("minor",)
FALLBACK_MAINTENANCE_INDICATORS: tuple[str, ...] = ("maintenance",)
# 4. The reason classes a vendor-wide failure is counted in, one class at a time.
VENDOR_WIDE_CLASSES: tuple[str, ...] = ("server_side", "no_answer")
DEFAULT_MIN_ACCOUNTS = 2
DEFAULT_MIN_SHARE = 0.5

Kind = Literal["incident", "maintenance", "vendor_wide"]


@dataclass(frozen=True)
class PageEvidence:
    """What a readable status page says, and which of its components are the API."""

    indicator: str
    # Every component the page lists: name -> status.
    components: Mapping[str, str]
    api_components: tuple[str, ...]

    @property
    def lists_api(self) -> bool:
        """Whether the page lists any API component (else the indicator stands for it)."""
        return any(name in self.components for name in self.api_components)


@dataclass(frozen=True)
class VendorSide:
    """Why a failure is the vendor's: the kind of evidence, in words."""

    kind: Kind
    because: str


@dataclass(frozen=True)
class VendorWide:
    """How many of a vendor's accounts must fail alike for a vendor-wide failure."""

    min_accounts: int = DEFAULT_MIN_ACCOUNTS
    min_share: float = DEFAULT_MIN_SHARE

    def __post_init__(self) -> None:
        if self.min_accounts < 2:
            raise ValueError("min_accounts: one failing account is never the vendor's (at least 2)")


def from_page(page: PageEvidence | None) -> VendorSide | None:
    """The status page's verdict (rules 1-3); None when the page is unreadable or says
    nothing about the API."""
    if page is None:
        return None
    if page.indicator in VENDOR_INDICATORS:
        return VendorSide("incident", f"the status page indicator is {page.indicator}")
    api = [(n, page.components[n]) for n in page.api_components if n in page.components]
    incident = [f"{n}: {status}" for n, status in api if status in API_INCIDENT_STATUSES]
    if incident:
        return VendorSide("incident", f"API component {', '.join(incident)}")
    maintenance = [f"{n}: {status}" for n, status in api if status in API_MAINTENANCE_STATUSES]
    if maintenance:
        return VendorSide("maintenance", f"API component {', '.join(maintenance)}")
    if api:
        return None
    fallback = (
        f"the status page indicator is {page.indicator} and the page lists no API "
        "component, so the indicator stands for the API"
    )
    if page.indicator in FALLBACK_INCIDENT_INDICATORS:
        return VendorSide("incident", fallback)
    if page.indicator in FALLBACK_MAINTENANCE_INDICATORS:
        return VendorSide("maintenance", fallback)
    return None


def class_of(reason: str) -> str | None:
    known = CATALOG.failure_reasons.get(reason)
    return known.reason_class if known else None


def from_accounts(
    failing: Mapping[str, Iterable[str]], accounts: int, rule: VendorWide = VendorWide()
) -> VendorSide | None:
    """Rule 4: `failing` maps each failing account to the reasons its probes fail with;
    `accounts` is how many accounts the vendor has."""
    for reason_class in VENDOR_WIDE_CLASSES:
        hit = sorted(a for a, reasons in failing.items() if reason_class in map(class_of, reasons))
        if len(hit) >= rule.min_accounts and len(hit) >= rule.min_share * accounts:
            return VendorSide(
                "vendor_wide",
                f"{len(hit)} of {accounts} accounts fail with {reason_class} reasons at once "
                f"({', '.join(hit)})",
            )
    return None


def explains(side: VendorSide, reasons: Iterable[str]) -> bool:
    """Whether vendor-side evidence explains every one of these failure reasons: the page
    explains any failure; a vendor-wide failure only server-side or no-answer ones."""
    if side.kind != "vendor_wide":
        return True
    return all(class_of(r) in VENDOR_WIDE_CLASSES for r in reasons)


def vendor_side(
    page: PageEvidence | None,
    failing: Mapping[str, Iterable[str]],
    accounts: int,
    rule: VendorWide = VendorWide(),
) -> VendorSide | None:
    """The vendor-side evidence for a vendor, page first: None means ours."""
    return from_page(page) or from_accounts(failing, accounts, rule)
