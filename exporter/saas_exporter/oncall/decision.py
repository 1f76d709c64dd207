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

from collections.abc import Mapping
from dataclasses import dataclass

from ..catalog import CATALOG, TriageBranch
from .observe import TRANSPORT_REASONS, VendorEvidence

# The branches' texts, causes and exit codes, and the order of urgency (what we can fix
# ourselves before what we wait out) are the catalog's: the runbooks say the same.
Branch = TriageBranch
BRANCHES: Mapping[str, Branch] = CATALOG.triage_branches
URGENCY: tuple[str, ...] = CATALOG.triage_urgency


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
