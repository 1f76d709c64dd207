"""The postmortem draft: facts drawn from the ALERTS history, rendered as the runbook's
Markdown template (text) or as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..catalog import CATALOG
from .history import Span, format_duration, utc

# The rule pack's alerts, as the error type a title names (an alert not listed shows
# its own name). Alert names are the pack's public contract, not vendor facts.
ERROR_TYPES = {
    "SaasProbeAuthFailing": "authentication failure (401/403)",
    "SaasApiAuthErrors": "authentication failure (401/403)",
    "SaasProbeUnreachable": "API unreachable (5xx, timeouts)",
    "SaasApiServerErrors": "server errors (5xx)",
    "SaasProbeRateLimited": "rate limiting (429)",
    "SaasApiRateLimited": "rate limiting (429)",
    "SaasRateLimitHeadroomLow": "rate-limit headroom low",
    "SaasProbeHighLatency": "high latency",
    "SaasApiHighLatency": "high latency",
    "SaasAccountMismatch": "account mismatch",
    "SaasCloudflareChallenge": "Cloudflare challenge",
    "SaasCreditsExhausted": "credits exhausted (402)",
    "SaasVendorIncidentMajor": "vendor incident",
    "SaasVendorIncidentMinor": "vendor incident",
    "SaasVendorComponentDegraded": "vendor component degraded",
}
NO_PRIORITY = 99


def todo(text: str) -> str:
    return f"[TODO: {text}]"


@dataclass(frozen=True)
class Event:
    at: float
    text: str
    # Within one query step, starts come before ends.
    order: int = 1


def priority_rank(span: Span) -> int:
    priority = span.labels.get("priority", "")
    return int(priority[1:]) if priority[1:].isdigit() else NO_PRIORITY


def alert_name(span: Span) -> str:
    labels = span.labels
    detail = [labels[k] for k in ("vendor", "account", "probe", "reason") if labels.get(k)]
    tags = [f"{k}={labels[k]}" for k in ("priority", "cause") if labels.get(k)]
    return f"{labels.get('alertname', '?')} ({'/'.join(detail)}; {', '.join(tags)})"


def _latest_cause(top: list[Span]) -> str | None:
    """The cause label of the top-priority alert that was firing last (latest knowledge)."""
    latest = max(
        top,
        key=lambda s: (float("inf") if s.end is None else s.end, (s.end or 0.0) - s.start),
    )
    return latest.labels.get("cause")


@dataclass(frozen=True)
class Affected:
    """A vendor the incident touched, and the error type of its top-priority alert."""

    vendor: str
    error_type: str

    @property
    def display(self) -> str:
        return self.vendor.capitalize() or "Vendor"


def _names(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True)
class Postmortem:
    # Most urgent first: the vendor of the highest-priority alert leads.
    affected: tuple[Affected, ...]
    first: float  # first alert firing
    last: float  # last resolution, or the window's end when still firing
    ongoing: bool
    priority: int  # NO_PRIORITY when no alert carried one
    lead_alert: str
    cause: str | None
    alerts_by_cause: dict[str, tuple[str, ...]]
    events: tuple[Event, ...]
    window: tuple[float, float]
    step: float
    source: str
    notes: tuple[str, ...] = ()

    exit_code = 0

    @property
    def title(self) -> str:
        """Every vendor touched, grouped by error type: 'Klaviyo and Clay API unreachable
        (5xx, timeouts)', 'Klaviyo authentication failure (401/403); Clay credits
        exhausted (402)'."""
        by_type: dict[str, list[str]] = {}
        for item in self.affected:
            by_type.setdefault(item.error_type, []).append(item.display)
        return "Incident: " + "; ".join(
            f"{_names(vendors)} {error_type}" for error_type, vendors in by_type.items()
        )

    @property
    def severity(self) -> str | None:
        return f"P{self.priority}" if self.priority != NO_PRIORITY else None

    @property
    def cause_text(self) -> str | None:
        cause = CATALOG.causes.get(self.cause or "")
        return cause.postmortem if cause else None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "vendors": [asdict(item) for item in self.affected],
            "date": utc(self.first).date().isoformat(),
            "first_firing": utc(self.first).isoformat(),
            "last_resolved": None if self.ongoing else utc(self.last).isoformat(),
            "ongoing": self.ongoing,
            "duration_seconds": self.last - self.first,
            "severity": self.severity,
            "lead_alert": self.lead_alert,
            "cause": self.cause,
            "cause_text": self.cause_text,
            "alerts_by_cause": {c: list(names) for c, names in self.alerts_by_cause.items()},
            "timeline": [{"at": utc(e.at).isoformat(), "text": e.text} for e in self.events],
            "window": {"start": self.window[0], "end": self.window[1], "step": self.step},
            "source": self.source,
        }

    def to_text(self, colour: bool) -> str:
        """The runbook's template in Markdown (never coloured: it is a document)."""
        events = self.events
        dated = utc(events[0].at).date() != utc(events[-1].at).date() if events else False
        severity = self.severity or todo("no alert carried a priority label")
        cause = self.cause_text or todo(f"the alerts carry no known cause label ({self.cause})")
        lines = [
            f"## {self.title}",
            f"**Date:** {utc(self.first).date().isoformat()}",
            f"**Duration:** {self._duration()}",
            f"**Severity:** {severity} (highest priority that fired: {self.lead_alert})",
            "",
            "### Summary",
            todo("1-2 sentences: what broke, for whom, for how long"),
            "",
            "### Vendor-side or ours",
            cause,
            "",
            "Alerts that fired, by cause label:",
            *[f"- {c}: {', '.join(names)}" for c, names in sorted(self.alerts_by_cause.items())],
            "",
            todo("confirm; if the cause label was wrong, say why"),
            "",
            "### Timeline (UTC)",
            *[f"- {_clock(e.at, dated)} - {e.text}" for e in events],
            "",
            "### Root Cause",
            todo("technical explanation"),
            "",
            "### Impact",
            f"- Users affected: {todo('N')}",
            f"- Revenue impact: {todo('$X')}",
            "",
            "### Action Items",
            f"- [ ] {todo('preventive measure')} - {todo('owner')} - {todo('due date')}",
            "",
            "---",
            f"Drafted by `saas-exporter postmortem` from {self.source}, window "
            f"{_clock(self.window[0], True)} to {_clock(self.window[1], True)} UTC; alert "
            f"times are accurate to the {self.step:g}s query step.",
        ]
        return "\n".join(lines) + "\n"

    def _duration(self) -> str:
        span = format_duration(self.last - self.first)
        if self.ongoing:
            return f"{span} so far: still firing at {_clock(self.last, True)} UTC"
        return (
            f"{span} (first alert firing {_clock(self.first, True)} UTC, "
            f"last resolved {_clock(self.last, True)} UTC)"
        )


def _clock(ts: float, dated: bool) -> str:
    return utc(ts).strftime("%Y-%m-%d %H:%M:%S" if dated else "%H:%M:%S")


def _affected(firing: list[Span]) -> tuple[Affected, ...]:
    """Each vendor with the alert that leads it (highest priority, then first to fire),
    most urgent vendor first."""
    leads: dict[str, Span] = {}
    for span in sorted(firing, key=lambda s: (priority_rank(s), s.start)):
        leads.setdefault(span.labels.get("vendor", ""), span)
    affected = []
    for vendor, span in leads.items():
        alertname = span.labels.get("alertname", "")
        affected.append(Affected(vendor, ERROR_TYPES.get(alertname, alertname)))
    return tuple(affected)


def draft(
    alert_spans: list[Span],
    events: list[Event],
    window: tuple[float, float],
    step: float,
    source: str,
    notes: tuple[str, ...] = (),
) -> Postmortem | None:
    """The draft's facts, or None when no alert fired in the window."""
    firing = [s for s in alert_spans if s.labels.get("alertstate") == "firing"]
    if not firing:
        return None
    first = min(s.start for s in firing)
    ongoing = any(s.end is None for s in firing)
    last = window[1] if ongoing else max(s.end for s in firing if s.end is not None)
    best = min(priority_rank(s) for s in firing)
    top = [s for s in firing if priority_rank(s) == best]
    lead = min(top, key=lambda s: s.start)
    by_cause: dict[str, list[str]] = {}
    for span in firing:
        until = window[1] if span.end is None else span.end
        by_cause.setdefault(span.labels.get("cause") or "unlabelled", []).append(
            f"{span.labels.get('alertname')} ({format_duration(until - span.start)})"
        )
    return Postmortem(
        affected=_affected(firing),
        first=first,
        last=last,
        ongoing=ongoing,
        priority=best,
        lead_alert=alert_name(lead),
        cause=_latest_cause(top),
        alerts_by_cause={c: tuple(names) for c, names in by_cause.items()},
        events=tuple(sorted(events, key=lambda e: (e.at, e.order))),
        window=window,
        step=step,
        source=source,
        notes=notes,
    )
