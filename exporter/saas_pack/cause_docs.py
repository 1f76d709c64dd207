"""The cause rule in words, for the runbooks: rendered from saas_exporter.cause (its
constants, and its verdicts on worked examples), so the pages cannot drift from the
rule that the alerts and triage apply."""

from __future__ import annotations

from dataclasses import dataclass

from saas_exporter import cause

from .spec import AlertRow, Table, Vendor


def branch(table: Table, cause_name: str, vendor_name: str) -> str:
    """The decision tree's branch for a `cause` value, from the catalog."""
    found = table.catalog.causes[cause_name]
    return f"{found.title}. {found.runbook.format(vendor=vendor_name)}"


def _words(values: tuple[str, ...]) -> str:
    quoted = [f"`{v}`" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def vendor_wide_words(table: Table, row: AlertRow, vendor: Vendor | None) -> str:
    effective = table.effective(row, vendor)
    whose = f"{vendor.display_name}'s" if vendor else "the vendor's"
    return (
        f"at least {effective.min_accounts} and at least {effective.threshold:g}% of "
        f"{whose} accounts fail alike at once (server-side, or no answer), page green or not"
    )


def page_words_for(table: Table, vendor: Vendor) -> str:
    """The page part of the rule for one vendor, with its API components by name."""
    names = table.catalog.kind(vendor.kind).statuspage_api_components
    everything = cause.VENDOR_INDICATORS + cause.FALLBACK_INCIDENT_INDICATORS
    if not names:
        return (
            f"its indicator is {_words(everything + cause.FALLBACK_MAINTENANCE_INDICATORS)} "
            "(the page lists no component, so the indicator stands for the API)"
        )
    statuses = cause.API_INCIDENT_STATUSES
    return (
        f"its indicator is {_words(cause.VENDOR_INDICATORS)}, or component {_words(names)} "
        f"(the API we call; a config may name others) is {_words(statuses)} (an incident) or "
        f"{_words(cause.API_MAINTENANCE_STATUSES)} (vendor maintenance); an incident, "
        "degradation or maintenance of any other component is not"
    )


def page_words() -> str:
    return (
        f"the page's indicator is {_words(cause.VENDOR_INDICATORS)}, or an API component "
        f"is {_words(cause.API_INCIDENT_STATUSES)} (an incident) or "
        f"{_words(cause.API_MAINTENANCE_STATUSES)} (vendor maintenance), or, on a page that "
        "lists none of the API components, the indicator is "
        f"{_words(cause.FALLBACK_INCIDENT_INDICATORS + cause.FALLBACK_MAINTENANCE_INDICATORS)}"
    )


def vendor_lines(table: Table, row: AlertRow, vendor: Vendor | None) -> list[str]:
    """A runbook page's `cause="vendor"` conditions for one vendor."""
    lines = []
    if row.cause.vendor_incident:
        words = page_words_for(table, vendor) if vendor else page_words()
        lines.append(f"the status page, while the exporter can read it, says so: {words}")
    if row.cause.vendor_wide is not None:
        wide = table.alert(row.cause.vendor_wide)
        lines.append(f"{vendor_wide_words(table, wide, vendor)} ({wide.name})")
    return lines


@dataclass(frozen=True)
class Example:
    label: str  # the `cause` label the alert carries
    title: str
    evidence: str
    alert: str
    page: cause.PageEvidence | None
    failing: dict[str, list[str]]
    accounts: int
    why: str


KLAVIYO_API = ("Klaviyo API",)
EXAMPLES = (
    Example(
        "vendor",
        "Klaviyo's API degraded",
        "status.klaviyo.com: indicator `minor`, component `Klaviyo API` "
        "`degraded_performance`; the profiles probe of account `main` answers 503",
        "SaasProbeUnreachable",
        cause.PageEvidence("minor", {"Klaviyo API": "degraded_performance"}, KLAVIYO_API),
        {"main": ["server_error"]},
        1,
        "the incident touches the component that is Klaviyo's API",
    ),
    Example(
        "vendor",
        "three accounts fail at once, page green",
        "status.klaviyo.com all green; the probes of all three Klaviyo accounts answer 5xx",
        "SaasVendorWideFailure (one P1; the three SaasProbeUnreachable pages are muted)",
        cause.PageEvidence("none", {"Klaviyo API": "operational"}, KLAVIYO_API),
        {"main": ["server_error"], "eu": ["server_error"], "us": ["server_error"]},
        3,
        "keys and configs are per account: what breaks them all at once is the vendor",
    ),
    Example(
        "vendor",
        "maintenance on Clay's page",
        "status.clay.com (Rootly, no components): indicator `maintenance`; Clay's api "
        "probe answers 503",
        "SaasProbeUnreachable",
        cause.PageEvidence("maintenance", {}, ()),
        {"main": ["server_error"]},
        1,
        "maintenance of the API is the vendor's: no key to rotate, wait for its end",
    ),
    Example(
        "integration",
        "a revoked key during an unrelated minor incident",
        "status.klaviyo.com: indicator `minor`, `Signup Forms` `degraded_performance`, "
        "`Klaviyo API` operational; every probe of account `main` answers 401",
        "SaasProbeAuthFailing (P1)",
        cause.PageEvidence(
            "minor",
            {"Klaviyo API": "operational", "Signup Forms": "degraded_performance"},
            KLAVIYO_API,
        ),
        {"main": ["auth"]},
        1,
        "Signup Forms is not the API we call, and the API component is operational: the "
        "key is ours to fix",
    ),
    Example(
        "infrastructure",
        "timeouts with a green page",
        "status.klaviyo.com all green; the profiles probe of account `main` times out",
        "SaasProbeUnreachable",
        cause.PageEvidence("none", {"Klaviyo API": "operational"}, KLAVIYO_API),
        {"main": ["timeout"]},
        3,
        "nothing on the vendor's side; most recent failures got no answer at all, so the "
        "network path is first (the alert's `when` branch)",
    ),
)


def _verdict(example: Example) -> str:
    side = cause.vendor_side(example.page, example.failing, example.accounts)
    return f"vendor-side: {side.because}" if side else "not the vendor's"


def readme_section(table: Table) -> list[str]:
    """The runbooks index's cause section: the rule, the causes, an example of each."""
    wide_rows = [row for row in table.alerts if row.min_accounts is not None]
    wide = wide_rows[0] if wide_rows else None
    lines = [
        "## The `cause` label",
        "",
        "Each alert says which branch of the decision tree on-call is on. One rule, in "
        "`saas_exporter/cause.py`, decides it: the rules compute it in PromQL inside each "
        "alert (so it never lags), `saas-exporter triage` applies it to what it observes, "
        "and tests feed both the same evidence.",
        "",
        '**Vendor-side** (`cause="vendor"`) when, for the alert\'s vendor:',
        "",
        "1. its status page, while the exporter can read it, shows the API this "
        f"integration calls affected: {page_words()}. Which components are the API is "
        "the catalog's (`statuspage_api_components`: Klaviyo's `Klaviyo API`; Clay's "
        "Rootly page lists none) or the config's; the exporter exports them as "
        "`saas_statuspage_api_component_info`. The recording rule "
        "`saas:vendor_incident:bool` is this part, per vendor.",
    ]
    if wide is not None:
        lines.append(
            f"2. or, for alerts about server-side or no-answer failures, "
            f"{vendor_wide_words(table, wide, None)} ({wide.name}; a vendor may override "
            "both numbers). One failing account is never the vendor's."
        )
    lines += [
        "",
        "An incident, degradation or maintenance of any other component (Klaviyo's Signup "
        "Forms, Email Sending, ...) never makes an alert vendor-side. A status page that "
        "cannot be read says nothing (its last series linger, but the cause falls back to "
        "ours; SaasStatusPageUnreachable says so). A key answering for another account "
        "and invalid webhook signatures stay `integration` during vendor incidents: an "
        "outage cannot cause them. Otherwise an alert takes its own `when` branches (most "
        "failures got no answer at all: `infrastructure`), then its default.",
        "",
        "An alert waits its `for` from the first failure even if its cause changes "
        "meanwhile: the wait is kept in `saas:alert_condition_since:timestamp` (the "
        "rendered rule has `for: 0m` and the wait in its expression), because a changed "
        "`cause` label is a new alert to Prometheus and would restart `for`. A firing alert "
        "whose cause changes goes on firing under the new cause, in the same notification "
        "group.",
        "",
        "| cause | branch |",
        "|---|---|",
    ]
    for name in table.catalog.causes:
        lines.append(f"| {name} | {branch(table, name, 'the vendor')} |")
    lines += ["", "### Worked examples", ""]
    for example in EXAMPLES:
        lines += [
            f"- **`{example.label}`: {example.title}.** {example.evidence}. "
            f"Alert: {example.alert}. The rule: {_verdict(example)}; {example.why}.",
        ]
    return lines
