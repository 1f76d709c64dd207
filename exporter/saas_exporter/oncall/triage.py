"""`saas-exporter triage`: the runbook's quick triage and decision tree, live.

Exit codes: 0 monitor (no API errors, our side healthy), 1 ours: integration
(credentials, scopes, config), 3 ours: infrastructure or network, 4 vendor-side
incident, 2 the command could not run (flags, config). With several vendors the
most urgent branch decides (integration, network, infrastructure, vendor, monitor).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import httpx

from ..catalog import CATALOG
from ..config import ExporterConfig, VendorConfig
from ..probes import targets_for
from ..redaction import redact
from .common import config_source, select_vendors
from .decision import Decision, decide
from .frame import (
    Command,
    Context,
    common_flags,
    exporter_flag,
    prometheus_flag,
    timeout_flag,
    vendor_flag,
)
from .live import probe_once
from .observe import TRANSPORT_REASONS, VendorEvidence, fetch_exporter, from_exporter, from_live
from .promapi import PrometheusClient
from .prometheus_evidence import collect
from .triage_report import AdviceGroup, TriageReport, VendorTriage


def _from_exporter(
    url: str, names: Sequence[str], timeout: float, now: float
) -> tuple[dict[str, VendorEvidence], str | None]:
    """Each vendor's evidence from a running exporter, or why it cannot be read."""
    try:
        with httpx.Client(timeout=timeout) as client:
            snapshot = fetch_exporter(url, client)
    except (httpx.HTTPError, ValueError) as err:
        return {}, redact(f"the exporter at {url} cannot be read: {err}")
    return {name: from_exporter(snapshot, name, url, now) for name in names}, None


def _add_prometheus(
    url: str, timeout: float, vendors: Sequence[VendorConfig], evidence: dict[str, VendorEvidence]
) -> None:
    client = PrometheusClient(url, timeout)
    try:
        findings = collect(client, {vendor.name: vendor.kind_spec for vendor in vendors})
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


def collect_evidence(
    args: argparse.Namespace,
    config: ExporterConfig,
    vendors: Sequence[VendorConfig],
    clock: Callable[[], float],
) -> list[VendorEvidence]:
    """The exporter's state (or the probes run live), the status page, Prometheus."""
    names = [v.name for v in vendors]
    evidence: dict[str, VendorEvidence] = {}
    exporter_problem = None
    if args.exporter_url:
        evidence, exporter_problem = _from_exporter(args.exporter_url, names, args.timeout, clock())
    if not evidence:
        targets = [t for t in targets_for(config) if t.vendor.name in names]
        results = probe_once(targets, config.max_concurrency, clock)
        for vendor in vendors:
            evidence[vendor.name] = from_live(
                vendor.name, results, vendor.statuspage_api_components
            )
            if exporter_problem:
                evidence[vendor.name].infrastructure.append(exporter_problem)
    for item in evidence.values():
        page = item.statuspage
        if page is not None and not page.reachable and page.reason in TRANSPORT_REASONS:
            item.infrastructure.append(
                f"the status page cannot be reached from here ({page.reason}: {page.error})"
            )
    if args.prometheus_url:
        _add_prometheus(args.prometheus_url, args.timeout, vendors, evidence)
    return [evidence[name] for name in names]


def _alert_line(labels: dict[str, str]) -> str:
    shown = [
        f"{k}={labels[k]}"
        for k in ("account", "probe", "reason", "priority", "cause")
        if labels.get(k)
    ]
    return f"{labels['alertname']} ({', '.join(shown)})"


# Actions answering these reasons are about a key: say where each affected key lives.
KEY_REASONS = frozenset(CATALOG.reasons_of_class("key_rejected"))


def key_sources(vendor: VendorConfig, accounts: set[str]) -> tuple[str, ...]:
    """Where each affected account's key comes from (never the key itself)."""
    return tuple(
        f"{vendor.name}/{account.name} reads its key from {account.key_source}"
        for account in vendor.accounts
        if account.name in accounts
    )


def advice(
    vendor: VendorConfig, evidence: VendorEvidence, decision: Decision
) -> tuple[AdviceGroup, ...]:
    """The catalog's immediate actions for each error type seen, then the one the branch
    calls for, in the words of the vendor's kind (Clay's own steps for Clay)."""
    actions = CATALOG.actions_for_reasons(decision.error_kinds)
    own = decision.branch.action
    if own and all(action.key != own for action in actions):
        actions.append(CATALOG.actions[own])
    failing = {p.account for p in evidence.probes if not p.success}
    groups = []
    for action in actions:
        steps = CATALOG.action_steps(action.key, vendor.kind)
        if KEY_REASONS & set(action.reasons):
            steps += key_sources(vendor, failing)
        groups.append(AdviceGroup(action.title, steps))
    return tuple(groups)


def gather(args: argparse.Namespace, context: Context) -> TriageReport:
    config = config_source(args).load_or_abort()
    vendors = select_vendors(config, args.vendor)
    evidence = collect_evidence(args, config, vendors, context.clock)
    triaged = []
    for vendor, item in zip(vendors, evidence, strict=True):
        decision = decide(item)
        triaged.append(VendorTriage(vendor.name, decision, item, advice(vendor, item, decision)))
    return TriageReport(tuple(triaged))


COMMAND = Command(
    name="triage",
    summary="paged: vendor-side or ours? walks the runbook's decision tree "
    "(exit 0 monitor, 1 integration, 3 infrastructure/network, 4 vendor incident)",
    description="Quick triage: status page, the exporter's latest state (or the probes "
    "run live), error rates from Prometheus; walks the decision tree and prints the "
    "branch, the evidence and the immediate actions. Exit 0 monitor, 1 ours "
    "(integration), 3 ours (infrastructure/network), 4 vendor-side, 2 usage error "
    "(flags, unreadable or invalid config, unknown --vendor).",
    parents=lambda: (
        common_flags(),
        vendor_flag(),
        exporter_flag(),
        prometheus_flag(required=False),
        timeout_flag(),
    ),
    gather=gather,
)
run = COMMAND.run
