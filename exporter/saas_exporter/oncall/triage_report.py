"""triage's report: per vendor, the branch of the decision tree, the evidence, the actions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .decision import BRANCHES, URGENCY, Branch, Decision
from .frame import paint
from .observe import StatusPageObservation, VendorEvidence


@dataclass(frozen=True)
class AdviceGroup:
    """What to do now about one error type seen (steps in order)."""

    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class VendorTriage:
    vendor: str
    decision: Decision
    evidence: VendorEvidence
    actions: tuple[AdviceGroup, ...]

    def to_json(self) -> dict[str, Any]:
        branch = self.decision.branch
        return {
            "branch": branch.name,
            "cause": branch.cause,
            "exit_code": branch.exit_code,
            "verdict": branch.verdict,
            "next_step": branch.next_step,
            "steps": [asdict(step) for step in self.decision.steps],
            "error_kinds": list(self.decision.error_kinds),
            "evidence": _evidence_json(self.evidence),
            "actions": [{"title": a.title, "steps": list(a.steps)} for a in self.actions],
        }


def _statuspage_json(page: StatusPageObservation | None) -> dict[str, Any] | None:
    if page is None:
        return None
    return {
        "reachable": page.reachable,
        "indicator": page.indicator,
        "description": page.description,
        "incidents": [
            {"name": i.name, "impact": i.impact, "status": i.status, "url": i.url}
            for i in page.incidents
        ],
        "degraded_components": list(page.degraded_components),
        "error": page.error or None,
    }


def _evidence_json(item: VendorEvidence) -> dict[str, Any]:
    return {
        "source": item.source,
        "probes": [asdict(p) for p in item.probes],
        "statuspage": _statuspage_json(item.statuspage),
        "infrastructure": list(item.infrastructure),
        "prometheus": [text for _, text in item.prometheus_errors],
        "notes": list(item.notes),
    }


@dataclass(frozen=True)
class TriageReport:
    vendors: tuple[VendorTriage, ...]
    notes: tuple[str, ...] = ()

    @property
    def branch(self) -> Branch:
        """With several vendors, the most urgent branch decides."""
        names = [v.decision.branch.name for v in self.vendors]
        return BRANCHES[min(names, key=URGENCY.index, default="monitor")]

    @property
    def exit_code(self) -> int:
        return self.branch.exit_code

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch.name,
            "exit_code": self.exit_code,
            "vendors": {v.vendor: v.to_json() for v in self.vendors},
        }

    def to_text(self, colour: bool) -> str:
        lines: list[str] = []
        for vendor in self.vendors:
            lines += _vendor_lines(vendor, colour)
        return "\n".join(lines) + "\n"


def _probe_line(probe) -> str:
    if probe.success:
        state = "ok"
    else:
        # The error text starts with the HTTP status when there was one.
        detail = probe.error or (f"HTTP {probe.http_status}" if probe.http_status else "")
        state = f"FAIL {probe.reason}" + (f": {detail}" if detail else "")
    stale = " (stale)" if probe.stale else ""
    return f"    {probe.account}/{probe.probe}: {state}{stale}"


def _statuspage_lines(page: StatusPageObservation | None) -> list[str]:
    if page is None:
        return ["    status page: not configured"]
    if not page.reachable:
        return [f"    status page: unreachable: {page.error}"]
    lines = [f"    status page: {page.indicator}: {page.description}"]
    lines += [f"      incident {i.name!r} ({i.impact}, {i.status}) {i.url}" for i in page.incidents]
    lines += [f"      component {c}" for c in page.degraded_components]
    return lines


def _vendor_lines(item: VendorTriage, colour: bool) -> list[str]:
    branch, evidence = item.decision.branch, item.evidence
    tint = {"monitor": "green", "vendor_incident": "yellow"}.get(branch.name, "red")
    cause = f"cause={branch.cause}" if branch.cause else "no cause"
    lines = [
        paint(f"{item.vendor}: {branch.name.upper().replace('_', ' ')}", tint, colour)
        + f" ({cause}, exit {branch.exit_code})",
        f"  {branch.verdict}",
        paint("  Decision tree:", "bold", colour),
    ]
    for step in item.decision.steps:
        lines.append(f"    {step.question} {'yes' if step.answer else 'no'}: {step.because}")
    lines.append(paint(f"  Evidence ({evidence.source}):", "bold", colour))
    lines += [_probe_line(p) for p in evidence.probes]
    lines += _statuspage_lines(evidence.statuspage)
    lines += [f"    our side: {text}" for text in evidence.infrastructure]
    lines += [f"    {text}" for _, text in evidence.prometheus_errors]
    lines += [f"    {text}" for text in evidence.notes]
    if item.actions:
        lines.append(paint("  Immediate actions:", "bold", colour))
        for group in item.actions:
            lines.append(f"    {group.title}")
            lines += [f"      - {step}" for step in group.steps]
    lines.append(paint(f"  Next: {branch.next_step}", "cyan", colour))
    return lines
