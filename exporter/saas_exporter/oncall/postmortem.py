"""`saas-exporter postmortem`: the runbook's postmortem template, filled in from Prometheus.

Exit codes: 0 draft written, 1 Prometheus could not be queried, 3 no Saas alert
fired in the window (nothing to write up), 2 usage error (flags, a config file that
cannot be read).
"""

from __future__ import annotations

import argparse
from datetime import datetime

import httpx

from .common import config_source
from .common import window as window_of
from .frame import Abort, Command, Context, common_flags, prometheus_flag, timeout_flag, window_flag
from .history import Span, identity, spans
from .postmortem_report import Event, Postmortem, alert_name, draft
from .promapi import PrometheusClient, PrometheusError, aligned_points, over_steps
from .vendor_pages import incident_updates, read_page, status_pages

EXIT_PROMETHEUS = 1
EXIT_NOTHING = 3
ALERTS = 'ALERTS{alertname=~"Saas.*"}'
INCIDENTS = "saas_statuspage_incident_info"


def _identity(span: Span) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in span.labels.items() if k != "alertstate"))


def alert_events(alert_spans: list[Span], step: float) -> list[Event]:
    """pending, firing, resolved; a pending span that never turned firing 'cleared'."""
    firing = [s for s in alert_spans if s.labels.get("alertstate") == "firing"]
    events = []
    for span in alert_spans:
        name = alert_name(span)
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


def vendor_events(
    args, vendors: set[str], window: tuple[float, float], slack: float
) -> tuple[list[Event], list[str]]:
    """Incident updates from each vendor's status page, and what could not be read."""
    try:
        pages = status_pages(config_source(args).raw())
    except ValueError as err:
        return [], [f"vendor status pages not read: {err}"]
    events: list[Event] = []
    problems: list[str] = []
    with httpx.Client(timeout=args.timeout, trust_env=True) as client:
        for page in pages:
            if page.vendor not in vendors:
                continue
            documents = read_page(client, page)
            read = [d for d in (documents.incidents, documents.summary) if d is not None]
            if not any(d.ok for d in read):
                error = documents.error or read[-1].error
                problems.append(f"{page.vendor} status page not read: {error}")
            updates = incident_updates(documents)
            events += update_events(page.vendor, updates, *window, slack)
    return events, problems


def gather(args: argparse.Namespace, context: Context) -> Postmortem:
    window, step = window_of(args.since, context.clock)
    config_source(args).require_readable()
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
        raise Abort(EXIT_PROMETHEUS, str(error)) from None
    finally:
        client.close()
    vendors = {s.labels.get("vendor", "") for s in alert_spans}
    page_events, problems = vendor_events(args, vendors, window, step)
    events = alert_events(alert_spans, step) + incident_events(incident_spans) + page_events
    document = draft(alert_spans, events, window, step, args.prometheus_url, tuple(problems))
    if document is None:
        raise Abort(
            EXIT_NOTHING, f"no Saas alert fired in the last {args.since}: nothing to write up"
        )
    return document


def _own_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="FILE",
        dest="report_file",
        help="write the draft (Markdown, or JSON with --output json) here instead of stdout",
    )


COMMAND = Command(
    name="postmortem",
    summary="afterwards: draft the postmortem (timeline, severity, vendor-side or ours) "
    "from the ALERTS history",
    description="Draft the postmortem as Markdown from the ALERTS history: date, "
    "duration, severity, a timeline of alert transitions and vendor incident updates, "
    "vendor-side or ours. Exit 0 written, 1 Prometheus unreachable, 3 no alert fired, "
    "2 usage error (flags, unreadable config file).",
    parents=lambda: (
        common_flags(),
        prometheus_flag(required=True),
        window_flag("6h"),
        timeout_flag(),
    ),
    gather=gather,
    add_arguments=_own_flags,
)
run = COMMAND.run
