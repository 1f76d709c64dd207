"""Evidence for the cause rule, and the verdict each case must get everywhere: from
saas_exporter.cause, from the rule pack's PromQL on Prometheus, from triage.

A case is one vendor: its status page (None: unreadable), which components are its API,
its accounts and how each one's probes fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from saas_exporter.cause import PageEvidence

KLAVIYO_PAGE = {
    "Klaviyo API": "operational",
    "Analytics": "operational",
    "Signup Forms": "operational",
    "Flow Triggering": "operational",
}
KLAVIYO_API = ("Klaviyo API",)


def klaviyo_page(indicator: str = "none", **changed: str) -> PageEvidence:
    components = dict(KLAVIYO_PAGE)
    components.update({name.replace("_", " "): status for name, status in changed.items()})
    return PageEvidence(indicator, components, KLAVIYO_API)


def rootly_page(indicator: str) -> PageEvidence:
    return PageEvidence(indicator, {}, ())


@dataclass(frozen=True)
class CauseCase:
    name: str
    page: PageEvidence | None
    # account -> the failure reason of its failing probe (None: healthy)
    accounts: dict[str, str | None] = field(default_factory=lambda: {"main": "auth"})
    # The vendor-side verdict: "incident", "maintenance", "vendor_wide" or None (ours).
    want: str | None = None

    @property
    def failing(self) -> dict[str, list[str]]:
        return {a: [r] for a, r in self.accounts.items() if r}


CASES: tuple[CauseCase, ...] = (
    CauseCase("green page, revoked key", klaviyo_page()),
    CauseCase(
        "revoked key during an unrelated minor incident",
        klaviyo_page("minor", Signup_Forms="degraded_performance"),
    ),
    CauseCase(
        "minor incident on the API component",
        klaviyo_page("minor", Klaviyo_API="degraded_performance"),
        want="incident",
    ),
    CauseCase(
        "API component in an outage, indicator not updated yet",
        klaviyo_page("none", Klaviyo_API="partial_outage"),
        want="incident",
    ),
    CauseCase("major indicator, API component green", klaviyo_page("major"), want="incident"),
    CauseCase("critical indicator", klaviyo_page("critical"), want="incident"),
    CauseCase(
        "maintenance on an unrelated component",
        klaviyo_page("maintenance", Analytics="under_maintenance"),
    ),
    CauseCase(
        "maintenance on the API component",
        klaviyo_page("maintenance", Klaviyo_API="under_maintenance"),
        want="maintenance",
    ),
    CauseCase("Rootly page without components, minor", rootly_page("minor"), want="incident"),
    CauseCase("Rootly page, maintenance", rootly_page("maintenance"), want="maintenance"),
    CauseCase("Rootly page, all clear", rootly_page("none")),
    CauseCase(
        "the page lists none of the named API components",
        PageEvidence("minor", {"Dashboard": "degraded_performance"}, ("Admin API",)),
        want="incident",
    ),
    CauseCase("status page unreadable", None),
    CauseCase(
        "three accounts fail with 5xx at once, page green",
        klaviyo_page(),
        {"main": "server_error", "eu": "server_error", "us": "server_error"},
        want="vendor_wide",
    ),
    CauseCase(
        "one account of one fails with 5xx",
        klaviyo_page(),
        {"main": "server_error"},
    ),
    CauseCase(
        "one of three accounts fails with 5xx",
        klaviyo_page(),
        {"main": "server_error", "eu": None, "us": None},
    ),
    CauseCase(
        "two of five accounts time out (under half)",
        klaviyo_page(),
        {"a": "timeout", "b": "timeout", "c": None, "d": None, "e": None},
    ),
    CauseCase(
        "two of four accounts time out (half)",
        klaviyo_page(),
        {"a": "timeout", "b": "connection", "c": None, "d": None},
        want="vendor_wide",
    ),
    CauseCase(
        "two accounts, one 5xx and one timeout (not the same class)",
        klaviyo_page(),
        {"a": "server_error", "b": "timeout"},
    ),
    CauseCase(
        "two revoked keys",
        klaviyo_page(),
        {"a": "auth", "b": "auth"},
    ),
)
