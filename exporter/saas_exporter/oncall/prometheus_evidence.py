"""Triage's questions to Prometheus: API error rates and the rule pack's firing alerts.

The production app's own errors (saas_api_requests_total) answer "API returning
errors?" alongside the probes. The probes' failure counts over 5 minutes are shown as
recent history only: the probes' latest results already speak for now, and an error
that stopped two minutes ago must not keep the tree off "monitor".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..catalog import VendorKind
from .promapi import PrometheusClient, PrometheusError

PROBE_ERRORS = (
    "sum by (vendor, account, probe, reason) "
    '(increase(saas_probe_failures_total{probe!="statuspage"}[5m])) > 0'
)
INAPP_ERRORS = 'sum by (vendor, code) (increase(saas_api_requests_total{code!~"[23].."}[5m])) > 0'
FIRING = 'ALERTS{alertname=~"Saas.*", alertstate="firing"}'


def inapp_kind(code: str, status_reasons: Mapping[int, str]) -> str:
    """saas_api_requests_total's `code` label as a probe failure reason; a status the
    vendor's kind gives a meaning of its own (Clay's 402) means that."""
    if code.isdigit() and int(code) in status_reasons:
        return status_reasons[int(code)]
    if code == "401":
        return "auth"
    if code == "403":
        return "forbidden"
    if code == "429":
        return "throttled"
    if code == "timeout":
        return "timeout"
    if code == "connection_error":
        return "connection"
    if code.startswith("5"):
        return "server_error"
    return "client_error"


@dataclass
class PrometheusFindings:
    errors: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    probe_history: dict[str, list[str]] = field(default_factory=dict)
    alerts: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    unreachable: str | None = None


def _for_vendor(labels: dict[str, str], vendors: set[str]) -> list[str]:
    vendor = labels.get("vendor", "")
    return sorted(vendors) if vendor == "all" else [vendor] if vendor in vendors else []


def collect(client: PrometheusClient, kinds: Mapping[str, VendorKind]) -> PrometheusFindings:
    """What Prometheus says about each vendor (name -> its kind)."""
    vendors = set(kinds)
    findings = PrometheusFindings()
    try:
        probe_errors = client.query(PROBE_ERRORS)
        inapp_errors = client.query(INAPP_ERRORS)
        firing = client.query(FIRING)
    except PrometheusError as err:
        findings.unreachable = str(err)
        return findings
    for series in probe_errors:
        labels = series.labels
        for vendor in _for_vendor(labels, vendors):
            findings.probe_history.setdefault(vendor, []).append(
                f"Prometheus: {series.values[0][1]:g} {labels['reason']} failures of the "
                f"{labels.get('account', '')}/{labels.get('probe', '')} probe in the last 5m"
            )
    for series in inapp_errors:
        labels = series.labels
        for vendor in _for_vendor(labels, vendors):
            code = labels.get("code", "")
            findings.errors.setdefault(vendor, []).append(
                (
                    inapp_kind(code, kinds[vendor].status_reasons),
                    f"Prometheus: {series.values[0][1]:g} in-app requests answered {code} "
                    "in the last 5m",
                )
            )
    for series in firing:
        for vendor in _for_vendor(series.labels, vendors):
            findings.alerts.setdefault(vendor, []).append(series.labels)
    for table in (findings.errors, findings.probe_history):
        for items in table.values():
            items.sort()
    for vendor in findings.alerts:
        findings.alerts[vendor].sort(key=lambda labels: sorted(labels.items()))
    return findings
