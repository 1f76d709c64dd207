"""The runbook's decision tree: is it the vendor, our integration, or our infrastructure?

API returning errors?
├─ yes: vendor-side? (saas_exporter.cause: the status page shows the API we call
│       affected, or most accounts fail alike: the rule the alerts' `cause` follows)
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

from .. import cause
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


VENDOR_SIDE_QUESTION = "Vendor-side (status page shows the API affected, or most accounts fail)?"


def _page_details(evidence: VendorEvidence) -> list[str]:
    page = evidence.statuspage
    if page is None or not page.reachable:
        return []
    parts = [f"incident {i.name!r} ({i.impact}, {i.status})" for i in page.incidents]
    parts += [f"component {c}" for c in page.degraded_components]
    return parts


def _not_vendor_because(evidence: VendorEvidence) -> str:
    page = evidence.statuspage
    if page is None:
        parts = ["no status page configured"]
    elif not page.reachable:
        parts = [f"the status page could not be read ({page.reason}: {page.error})"]
    else:
        parts = [f"status page indicator {page.indicator}: {page.description}"]
        api = [
            f"{name}: {status}" for name, status in page.components if name in page.api_components
        ]
        if api:
            parts.append(f"the API ({', '.join(api)}) is not affected")
        parts += [
            f"not the API: {c}"
            for c in page.degraded_components
            if c.split(": ")[0] not in page.api_components
        ]
    failing = evidence.failing_by_account()
    if failing:
        parts.append(f"{len(failing)} of {evidence.accounts} accounts failing")
    return "; ".join(parts)


def vendor_side(evidence: VendorEvidence, kinds: list[str]) -> tuple[bool, str]:
    """Whether the cause rule puts these failures on the vendor, and why."""
    side = evidence.vendor_side()
    if side is None or not cause.explains(side, kinds):
        return False, _not_vendor_because(evidence)
    return True, "; ".join([side.because, *_page_details(evidence)])


def decide(evidence: VendorEvidence) -> Decision:
    kinds = evidence.error_kinds()
    steps = [Step("API returning errors?", bool(kinds), _errors_because(evidence, kinds))]
    if kinds:
        incident, because = vendor_side(evidence, kinds)
        steps.append(Step(VENDOR_SIDE_QUESTION, incident, because))
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
