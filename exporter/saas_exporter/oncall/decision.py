"""The runbook's decision tree: is it the vendor, our integration, or our infrastructure?

API returning errors?
├─ yes: status page showing an incident?
│   ├─ yes → vendor_incident   wait for the vendor, enable the fallback
│   └─ no:  only timeouts / connection / TLS errors?
│       ├─ yes → network         ours: the path from us to the vendor
│       └─ no  → integration     ours: credentials, scopes, config
└─ no: our side healthy (exporter fresh, status page reachable, no infra alerts)?
    ├─ yes → monitor             likely resolved or intermittent
    └─ no  → infrastructure      ours: pods, memory, network, monitoring
"""

from __future__ import annotations

from dataclasses import dataclass

from .observe import TRANSPORT_REASONS, VendorEvidence


@dataclass(frozen=True)
class Branch:
    name: str
    cause: str | None  # the rule pack's `cause` label value
    exit_code: int
    verdict: str
    next_step: str


BRANCHES: dict[str, Branch] = {
    b.name: b
    for b in (
        Branch(
            "integration",
            "integration",
            1,
            "Ours: the vendor answers with errors and reports no incident.",
            "Check our credentials and config: the key, its scopes, the account, the revision.",
        ),
        Branch(
            "network",
            "infrastructure",
            3,
            "Ours: the API does not answer (timeouts, connection or TLS errors) "
            "and the vendor reports no incident.",
            "Check the network path to the vendor: DNS, egress proxy, firewall, TLS inspection.",
        ),
        Branch(
            "infrastructure",
            "infrastructure",
            3,
            "Ours: the API answers, but our side is unhealthy.",
            "Check our infrastructure: pods, memory, network, the exporter and Prometheus.",
        ),
        Branch(
            "vendor_incident",
            "vendor",
            4,
            "Vendor-side: the API fails and the vendor's status page shows an incident.",
            "Wait for the vendor to resolve it, enable the fallback, follow the status page.",
        ),
        Branch(
            "monitor",
            None,
            0,
            "No API errors and our side is healthy: resolved or intermittent.",
            "Monitor; run triage again if alerts keep firing.",
        ),
    )
}
# When vendors land on different branches, the command exits with the first of these:
# what we can fix ourselves comes before what we wait out.
URGENCY = ("integration", "network", "infrastructure", "vendor_incident", "monitor")


@dataclass(frozen=True)
class Step:
    question: str
    answer: bool
    because: str


@dataclass(frozen=True)
class Decision:
    branch: Branch
    steps: tuple[Step, ...]
    error_kinds: tuple[str, ...]


def _errors_because(evidence: VendorEvidence, kinds: list[str]) -> str:
    failing = [p for p in evidence.probes if not p.success]
    parts = [
        f"{p.account}/{p.probe} probe: {p.reason}"
        + (f" (HTTP {p.http_status})" if p.http_status else "")
        for p in failing
    ]
    parts += [text for _, text in evidence.prometheus_errors]
    return (
        "; ".join(parts)
        if kinds
        else "every API probe succeeded"
        + (
            " and Prometheus shows no in-app API errors in the last 5 minutes"
            if evidence.prometheus_checked
            else ""
        )
    )


def _incident_because(evidence: VendorEvidence) -> str:
    page = evidence.statuspage
    if page is None:
        return "no status page configured"
    if not page.reachable:
        return f"the status page could not be read ({page.reason}: {page.error})"
    if not page.shows_incident:
        return f"status page indicator {page.indicator}: {page.description}"
    parts = [f"indicator {page.indicator}"]
    parts += [f"incident {i.name!r} ({i.impact}, {i.status})" for i in page.incidents]
    parts += [f"component {c}" for c in page.degraded_components]
    return "; ".join(parts)


def decide(evidence: VendorEvidence) -> Decision:
    kinds = evidence.error_kinds()
    steps = [Step("API returning errors?", bool(kinds), _errors_because(evidence, kinds))]
    if kinds:
        incident = evidence.statuspage is not None and evidence.statuspage.shows_incident
        steps.append(
            Step("Status page showing an incident?", incident, _incident_because(evidence))
        )
        if incident:
            name = "vendor_incident"
        else:
            transport_only = set(kinds) <= TRANSPORT_REASONS
            steps.append(
                Step(
                    "Only timeouts, connection or TLS errors?",
                    transport_only,
                    ", ".join(kinds),
                )
            )
            name = "network" if transport_only else "integration"
    else:
        healthy = not evidence.infrastructure
        because = (
            "; ".join(evidence.infrastructure)
            if evidence.infrastructure
            else "no stale probes, status page reachable, no infrastructure alerts firing"
        )
        steps.append(Step("Our side healthy?", healthy, because))
        name = "monitor" if healthy else "infrastructure"
    return Decision(BRANCHES[name], tuple(steps), tuple(kinds))
