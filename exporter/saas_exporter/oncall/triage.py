"""`saas-exporter triage`: the runbook's quick triage and decision tree, live.

Exit codes: 0 monitor (no API errors, our side healthy), 1 ours: integration
(credentials, scopes, config), 3 ours: infrastructure or network, 4 vendor-side
incident, 2 the command could not run (flags, config). With several vendors the
most urgent branch decides (integration, network, infrastructure, vendor, monitor).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import httpx

from ..probes import targets_for
from ..redaction import redact
from .actions import actions_for, key_sources
from .common import (
    EXIT_USAGE,
    add_config_flag,
    add_output_flag,
    add_vendor_flag,
    colour_enabled,
    load_for_command,
    paint,
    select_vendors,
)
from .decision import BRANCHES, URGENCY, Decision, decide
from .live import probe_once
from .observe import TRANSPORT_REASONS, VendorEvidence, fetch_exporter, from_exporter, from_live
from .promapi import PrometheusClient
from .prometheus_evidence import collect

PROG = "saas-exporter triage"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Quick triage: status page, the exporter's latest state (or the probes "
        "run live), error rates from Prometheus; walks the decision tree and prints the "
        "branch, the evidence and the immediate actions. Exit 0 monitor, 1 ours "
        "(integration), 3 ours (infrastructure/network), 4 vendor-side, 2 usage error.",
    )
    add_config_flag(parser)
    add_vendor_flag(parser)
    add_output_flag(parser)
    parser.add_argument(
        "--exporter-url", help="a running exporter (http://host:9879): read its /health, /metrics"
    )
    parser.add_argument("--prometheus-url", help="Prometheus (http://host:9090): error rates")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
    return parser


def gather(
    args: argparse.Namespace, config, vendors, clock: Callable[[], float]
) -> list[VendorEvidence]:
    names = [v.name for v in vendors]
    evidence: dict[str, VendorEvidence] = {}
    exporter_problem = None
    if args.exporter_url:
        try:
            with httpx.Client(timeout=args.timeout) as client:
                snapshot = fetch_exporter(args.exporter_url, client)
            for name in names:
                evidence[name] = from_exporter(snapshot, name, args.exporter_url, clock())
        except (httpx.HTTPError, ValueError) as err:
            exporter_problem = redact(f"the exporter at {args.exporter_url} cannot be read: {err}")
    if not evidence:
        targets = [t for t in targets_for(config) if t.vendor.name in names]
        results = probe_once(targets, config.max_concurrency, clock)
        for name in names:
            evidence[name] = from_live(name, results)
            if exporter_problem:
                evidence[name].infrastructure.append(exporter_problem)
    for item in evidence.values():
        page = item.statuspage
        if page is not None and not page.reachable and page.reason in TRANSPORT_REASONS:
            item.infrastructure.append(
                f"the status page cannot be reached from here ({page.reason}: {page.error})"
            )
    if args.prometheus_url:
        client = PrometheusClient(args.prometheus_url, args.timeout)
        try:
            findings = collect(client, set(names))
        finally:
            client.close()
        for name, item in evidence.items():
            item.prometheus_checked = findings.unreachable is None
            if findings.unreachable:
                item.infrastructure.append(f"Prometheus cannot be queried: {findings.unreachable}")
            item.prometheus_errors += findings.errors.get(name, [])
            item.notes += findings.probe_history.get(name, [])
            for labels in findings.alerts.get(name, []):
                line = _alert_line(labels)
                item.notes.append(f"firing: {line}")
                if labels.get("cause") == "infrastructure":
                    item.infrastructure.append(f"alert firing: {line}")
    return [evidence[name] for name in names]


def _alert_line(labels: dict[str, str]) -> str:
    shown = [
        f"{k}={labels[k]}"
        for k in ("account", "probe", "reason", "priority", "cause")
        if labels.get(k)
    ]
    return f"{labels['alertname']} ({', '.join(shown)})"


def _report(item: VendorEvidence, decision: Decision, vendor_config) -> dict[str, Any]:
    page = item.statuspage
    failing = {p.account for p in item.probes if not p.success}
    actions = []
    for group in actions_for(decision.error_kinds):
        steps = list(group.steps)
        if group.kinds & {"auth", "forbidden", "account_mismatch"}:
            steps += key_sources(vendor_config, failing)
        actions.append({"title": group.title, "steps": steps})
    return {
        "branch": decision.branch.name,
        "cause": decision.branch.cause,
        "exit_code": decision.branch.exit_code,
        "verdict": decision.branch.verdict,
        "next_step": decision.branch.next_step,
        "steps": [
            {"question": s.question, "answer": s.answer, "because": s.because}
            for s in decision.steps
        ],
        "error_kinds": list(decision.error_kinds),
        "evidence": {
            "source": item.source,
            "probes": [
                {
                    "account": p.account,
                    "probe": p.probe,
                    "success": p.success,
                    "reason": p.reason,
                    "http_status": p.http_status,
                    "error": p.error,
                    "stale": p.stale,
                }
                for p in item.probes
            ],
            "statuspage": None
            if page is None
            else {
                "reachable": page.reachable,
                "indicator": page.indicator,
                "description": page.description,
                "incidents": [
                    {"name": i.name, "impact": i.impact, "status": i.status, "url": i.url}
                    for i in page.incidents
                ],
                "degraded_components": list(page.degraded_components),
                "error": page.error or None,
            },
            "infrastructure": list(item.infrastructure),
            "prometheus": [text for _, text in item.prometheus_errors],
            "notes": list(item.notes),
        },
        "actions": actions,
    }


def _render_text(report: dict[str, Any], out: TextIO) -> None:
    colour = colour_enabled(out)
    tint = {"monitor": "green", "vendor_incident": "yellow"}
    lines = []
    for vendor, item in report["vendors"].items():
        head = f"{vendor}: {item['branch'].upper().replace('_', ' ')}"
        cause = f"cause={item['cause']}" if item["cause"] else "no cause"
        lines.append(
            paint(head, tint.get(item["branch"], "red"), colour)
            + f" ({cause}, exit {item['exit_code']})"
        )
        lines.append(f"  {item['verdict']}")
        lines.append(paint("  Decision tree:", "bold", colour))
        for step in item["steps"]:
            answer = "yes" if step["answer"] else "no"
            lines.append(f"    {step['question']} {answer}: {step['because']}")
        evidence = item["evidence"]
        lines.append(paint(f"  Evidence ({evidence['source']}):", "bold", colour))
        for p in evidence["probes"]:
            if p["success"]:
                state = "ok"
            else:
                # The error text starts with the HTTP status when there was one.
                detail = p["error"] or (f"HTTP {p['http_status']}" if p["http_status"] else "")
                state = f"FAIL {p['reason']}" + (f": {detail}" if detail else "")
            stale = " (stale)" if p["stale"] else ""
            lines.append(f"    {p['account']}/{p['probe']}: {state}{stale}")
        page = evidence["statuspage"]
        if page is None:
            lines.append("    status page: not configured")
        elif not page["reachable"]:
            lines.append(f"    status page: unreachable: {page['error']}")
        else:
            lines.append(f"    status page: {page['indicator']}: {page['description']}")
            for incident in page["incidents"]:
                lines.append(
                    f"      incident {incident['name']!r} ({incident['impact']}, "
                    f"{incident['status']}) {incident['url']}"
                )
            for component in page["degraded_components"]:
                lines.append(f"      component {component}")
        for text in evidence["infrastructure"]:
            lines.append(f"    our side: {text}")
        for text in evidence["prometheus"] + evidence["notes"]:
            lines.append(f"    {text}")
        if item["actions"]:
            lines.append(paint("  Immediate actions:", "bold", colour))
            for group in item["actions"]:
                lines.append(f"    {group['title']}")
                lines += [f"      - {step}" for step in group["steps"]]
        lines.append(paint(f"  Next: {item['next_step']}", "cyan", colour))
    out.write(redact("\n".join(lines)) + "\n")


def run(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(list(argv))
    config = load_for_command(PROG, args.config_file, err)
    if config is None:
        return EXIT_USAGE
    vendors = select_vendors(config, args.vendor)
    if isinstance(vendors, str):
        print(f"{PROG}: {vendors}", file=err)
        return EXIT_USAGE
    evidence = gather(args, config, vendors, clock)
    reports = {}
    branches = []
    for vendor, item in zip(vendors, evidence, strict=True):
        decision = decide(item)
        branches.append(decision.branch.name)
        reports[vendor.name] = _report(item, decision, vendor)
    overall = BRANCHES[min(branches, key=URGENCY.index)]
    report = {"branch": overall.name, "exit_code": overall.exit_code, "vendors": reports}
    if args.output == "json":
        out.write(redact(json.dumps(report, indent=2)) + "\n")
    else:
        _render_text(report, out)
    return overall.exit_code
