"""`saas-exporter postmortem`: the runbook's postmortem template, filled in from Prometheus.

Exit codes: 0 draft written, 1 Prometheus could not be queried, 3 no Saas alert
fired in the window (nothing to write up), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import httpx

from ..redaction import redact
from .common import EXIT_USAGE, add_config_flag, read_raw_config, statuspage_urls
from .common import window as window_of
from .history import Span, format_duration, identity, spans, utc
from .promapi import PrometheusClient, PrometheusError, aligned_points, over_steps
from .vendor_pages import fetch, incident_updates

PROG = "saas-exporter postmortem"
EXIT_PROMETHEUS = 1
EXIT_NOTHING = 3
ALERTS = 'ALERTS{alertname=~"Saas.*"}'
INCIDENTS = "saas_statuspage_incident_info"
CAUSES = {
    "vendor": "Vendor-side (cause=vendor): the vendor's status page showed an incident "
    "while the alert fired.",
    "integration": "Ours, integration (cause=integration): credentials, scopes or config; "
    "the vendor reported no incident.",
    "infrastructure": "Ours, infrastructure (cause=infrastructure): network, pods, the "
    "exporter or monitoring.",
}
ERROR_TYPES = {
    "SaasProbeAuthFailing": "authentication failure (401/403)",
    "SaasApiAuthErrors": "authentication failure (401/403)",
    "SaasProbeUnreachable": "API unreachable (5xx, timeouts)",
    "SaasApiServerErrors": "server errors (5xx)",
    "SaasProbeRateLimited": "rate limiting (429)",
    "SaasApiRateLimited": "rate limiting (429)",
    "SaasProbeHighLatency": "high latency",
    "SaasApiHighLatency": "high latency",
    "SaasAccountMismatch": "account mismatch",
    "SaasCloudflareChallenge": "Cloudflare challenge",
    "SaasVendorIncidentMajor": "vendor incident",
    "SaasVendorIncidentMinor": "vendor incident",
}


def _todo(text: str) -> str:
    return f"[TODO: {text}]"


@dataclass(frozen=True)
class Event:
    at: float
    text: str
    # Within one query step, starts come before ends.
    order: int = 1


def _priority_rank(span: Span) -> int:
    priority = span.labels.get("priority", "")
    return int(priority[1:]) if priority[1:].isdigit() else 99


def _alert_name(span: Span) -> str:
    labels = span.labels
    detail = [labels[k] for k in ("vendor", "account", "probe", "reason") if labels.get(k)]
    tags = [f"{k}={labels[k]}" for k in ("priority", "cause") if labels.get(k)]
    return f"{labels.get('alertname', '?')} ({'/'.join(detail)}; {', '.join(tags)})"


def _identity(span: Span) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in span.labels.items() if k != "alertstate"))


def alert_events(alert_spans: list[Span], step: float) -> list[Event]:
    """pending, firing, resolved; a pending span that never turned firing 'cleared'."""
    firing = [s for s in alert_spans if s.labels.get("alertstate") == "firing"]
    events = []
    for span in alert_spans:
        name = _alert_name(span)
        if span in firing:
            events.append(Event(span.start, f"firing: {name}"))
            if span.end is not None:
                events.append(Event(span.end, f"resolved: {name}", 2))
            continue
        events.append(Event(span.start, f"pending: {name}", 0))
        if span.end is None:
            continue
        turned_firing = any(
            _identity(f) == _identity(span) and span.start <= f.start <= span.end + step
            for f in firing
        )
        if not turned_firing:
            events.append(Event(span.end, f"cleared without firing: {name}", 2))
    return events


def incident_events(incident_spans: list[Span]) -> list[Event]:
    """What the probes saw on the status page: each state of each unresolved incident."""
    events = []
    by_id: dict[str, list[Span]] = {}
    for span in incident_spans:
        labels = span.labels
        by_id.setdefault(labels.get("id", ""), []).append(span)
        events.append(
            Event(
                span.start,
                f"status page (seen by the probe): {labels.get('name', '?')!r} "
                f"{labels.get('status', '?')}, impact {labels.get('impact', '?')}",
            )
        )
    for group in by_id.values():
        if all(s.end is not None for s in group):
            end = max(s.end for s in group if s.end is not None)
            name = group[0].labels.get("name", "?")
            events.append(
                Event(end, f"status page (seen by the probe): {name!r} no longer listed", 2)
            )
    return events


def update_events(vendor: str, updates, start: float, end: float, slack: float) -> list[Event]:
    """The vendor's own updates in the window (give or take one query step)."""
    start, end = start - slack, end + slack
    events = []
    for update in updates:
        try:
            at = datetime.fromisoformat(update.at).timestamp()
        except ValueError:
            continue
        if start <= at <= end:
            body = f": {update.body}" if update.body else ""
            events.append(
                Event(at, f"{vendor} status page update: {update.incident!r} {update.status}{body}")
            )
    return events


def _cause(top: list[Span]) -> str | None:
    """The cause label of the top-priority alert that was firing last (latest knowledge)."""
    latest = max(
        top,
        key=lambda s: (float("inf") if s.end is None else s.end, (s.end or 0.0) - s.start),
    )
    return latest.labels.get("cause")


def _clock(ts: float, dated: bool) -> str:
    return utc(ts).strftime("%Y-%m-%d %H:%M:%S" if dated else "%H:%M:%S")


def render(
    alert_spans: list[Span],
    other_events: list[Event],
    window: tuple[float, float],
    step: float,
    source: str,
) -> str | None:
    """The filled-in template, or None when no alert fired in the window."""
    firing = [s for s in alert_spans if s.labels.get("alertstate") == "firing"]
    if not firing:
        return None
    first = min(s.start for s in firing)
    ongoing = any(s.end is None for s in firing)
    last = window[1] if ongoing else max(s.end for s in firing if s.end is not None)
    best = min(_priority_rank(s) for s in firing)
    top = [s for s in firing if _priority_rank(s) == best]
    lead = min(top, key=lambda s: s.start)
    vendor = lead.labels.get("vendor", "")
    error_type = ERROR_TYPES.get(lead.labels.get("alertname", ""), lead.labels.get("alertname"))
    severity = f"P{best}" if best != 99 else _todo("no alert carried a priority label")
    events = alert_events(alert_spans, step) + other_events
    events.sort(key=lambda e: (e.at, e.order))
    dated = utc(events[0].at).date() != utc(events[-1].at).date() if events else False
    cause = _cause(top)
    by_cause: dict[str, list[str]] = {}
    for span in firing:
        until = window[1] if span.end is None else span.end
        by_cause.setdefault(span.labels.get("cause") or "unlabelled", []).append(
            f"{span.labels.get('alertname')} ({format_duration(until - span.start)})"
        )
    if ongoing:
        duration = (
            f"{format_duration(last - first)} so far: still firing at {_clock(last, True)} UTC"
        )
    else:
        duration = (
            f"{format_duration(last - first)} (first alert firing {_clock(first, True)} UTC, "
            f"last resolved {_clock(last, True)} UTC)"
        )
    lines = [
        f"## Incident: {vendor.capitalize() or 'Vendor'} {error_type}",
        f"**Date:** {utc(first).date().isoformat()}",
        f"**Duration:** {duration}",
        f"**Severity:** {severity} (highest priority that fired: {_alert_name(lead)})",
        "",
        "### Summary",
        _todo("1-2 sentences: what broke, for whom, for how long"),
        "",
        "### Vendor-side or ours",
        CAUSES.get(cause or "", _todo(f"the alerts carry no known cause label ({cause})")),
        "",
        "Alerts that fired, by cause label:",
        *[f"- {c}: {', '.join(names)}" for c, names in sorted(by_cause.items())],
        "",
        _todo("confirm; if the cause label was wrong, say why"),
        "",
        "### Timeline (UTC)",
        *[f"- {_clock(e.at, dated)} - {e.text}" for e in events],
        "",
        "### Root Cause",
        _todo("technical explanation"),
        "",
        "### Impact",
        f"- Users affected: {_todo('N')}",
        f"- Revenue impact: {_todo('$X')}",
        "",
        "### Action Items",
        f"- [ ] {_todo('preventive measure')} - {_todo('owner')} - {_todo('due date')}",
        "",
        "---",
        f"Drafted by `saas-exporter postmortem` from {source}, window "
        f"{_clock(window[0], True)} to {_clock(window[1], True)} UTC; alert times are "
        f"accurate to the {step:g}s query step.",
    ]
    return redact("\n".join(lines)) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Draft the postmortem as Markdown from the ALERTS history: date, "
        "duration, severity, a timeline of alert transitions and vendor incident updates, "
        "vendor-side or ours. Exit 0 written, 1 Prometheus unreachable, 3 no alert fired, "
        "2 usage error.",
    )
    parser.add_argument("--prometheus-url", required=True)
    parser.add_argument("--since", default="6h", help="how far back (30m, 6h, 1d)")
    parser.add_argument("--out", help="write the Markdown here instead of stdout")
    add_config_flag(parser)
    parser.add_argument("--timeout", type=float, default=10.0)
    return parser


def vendor_events(
    args, vendors: set[str], window: tuple[float, float], slack: float
) -> tuple[list[Event], list[str]]:
    """Incident updates from each vendor's status page, and what could not be read."""
    try:
        urls = statuspage_urls(read_raw_config(args.config_file))
    except ValueError as err:
        return [], [f"vendor status pages not read: {err}"]
    events: list[Event] = []
    problems: list[str] = []
    with httpx.Client(timeout=args.timeout, trust_env=True) as client:
        for vendor in sorted(vendors & set(urls)):
            documents = [
                fetch(client, urls[vendor], p)
                for p in ("api/v2/incidents.json", "api/v2/summary.json")
            ]
            if not any(d.ok for d in documents):
                problems.append(f"{vendor} status page not read: {documents[-1].error}")
            events += update_events(vendor, incident_updates(documents), *window, slack)
    return events, problems


def run(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(list(argv))
    span = window_of(PROG, args.since, clock, err)
    if span is None:
        return EXIT_USAGE
    window, step = span
    end = window[1]
    client = PrometheusClient(args.prometheus_url, args.timeout)
    try:
        points = aligned_points(window[0], end, step)
        found = {}
        for name, selector in (("alerts", ALERTS), ("incidents", INCIDENTS)):
            active = {identity(s.labels) for s in client.query(selector, at=end)}
            series = client.query_range(over_steps(selector, step), *points)
            found[name] = spans(series, step, active)
        alert_spans, incident_spans = found["alerts"], found["incidents"]
    except PrometheusError as error:
        print(f"{PROG}: {error}", file=err)
        return EXIT_PROMETHEUS
    finally:
        client.close()
    vendors = {s.labels.get("vendor", "") for s in alert_spans}
    events, problems = vendor_events(args, vendors, window, step)
    for problem in problems:
        print(f"{PROG}: {problem}", file=err)
    document = render(
        alert_spans, incident_events(incident_spans) + events, window, step, args.prometheus_url
    )
    if document is None:
        print(
            f"{PROG}: no Saas alert fired in the last {args.since}: nothing to write up", file=err
        )
        return EXIT_NOTHING
    if args.out:
        Path(args.out).write_text(document, encoding="utf-8")
        print(f"{PROG}: wrote {args.out}", file=err)
    else:
        out.write(document)
    return 0
