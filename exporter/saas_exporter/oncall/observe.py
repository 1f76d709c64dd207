"""What triage knows about a vendor, from live probes or from a running exporter."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .. import cause
from ..catalog import CATALOG
from ..probes import ProbeResult
from ..probes.result import Incident
from ..redaction import redact

# Reasons that mean no answer at all (timeout, connection, TLS): the path to the vendor.
TRANSPORT_REASONS = frozenset(CATALOG.reasons_of_class("no_answer"))
# A probe that has not run for this many intervals is stale: the exporter is unwell.
STALE_INTERVALS = 3.0


@dataclass(frozen=True)
class ProbeObservation:
    account: str
    probe: str
    success: bool
    reason: str | None = None
    http_status: int = 0
    error: str = ""
    stale: bool = False


@dataclass(frozen=True)
class StatusPageObservation:
    reachable: bool
    indicator: str | None = None
    description: str = ""
    incidents: tuple[Incident, ...] = ()
    degraded_components: tuple[str, ...] = ()
    reason: str | None = None
    error: str = ""
    # Every listed component's (name, status), and which are the API we call (the
    # config's, or the exporter's saas_statuspage_api_component_info): the cause rule's
    # evidence.
    components: tuple[tuple[str, str], ...] = ()
    api_components: tuple[str, ...] = ()

    @property
    def evidence(self) -> cause.PageEvidence | None:
        """What the cause rule reads; None for a page that cannot be read."""
        if not self.reachable or self.indicator is None:
            return None
        return cause.PageEvidence(self.indicator, dict(self.components), self.api_components)


@dataclass
class VendorEvidence:
    vendor: str
    source: str
    probes: list[ProbeObservation] = field(default_factory=list)
    statuspage: StatusPageObservation | None = None
    # Signs that our side (exporter, network, monitoring) is unwell, one sentence each.
    infrastructure: list[str] = field(default_factory=list)
    # API errors seen in Prometheus: (error kind, one sentence).
    prometheus_errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prometheus_checked: bool = False

    def error_kinds(self) -> list[str]:
        kinds = {p.reason for p in self.probes if not p.success and p.reason}
        kinds |= {kind for kind, _ in self.prometheus_errors}
        return sorted(kinds)

    def failing_by_account(self) -> dict[str, list[str]]:
        """Each account with a failing probe, and the reasons its probes fail with."""
        failing: dict[str, list[str]] = {}
        for p in self.probes:
            if not p.success and p.reason:
                failing.setdefault(p.account, []).append(p.reason)
        return failing

    @property
    def accounts(self) -> int:
        return len({p.account for p in self.probes})

    def vendor_side(self) -> cause.VendorSide | None:
        """The cause rule's verdict on this evidence (saas_exporter.cause)."""
        page = self.statuspage.evidence if self.statuspage else None
        return cause.vendor_side(page, self.failing_by_account(), self.accounts)


def _degraded(name: str, group: str, status: str) -> str:
    return f"{group}/{name}: {status}" if group else f"{name}: {status}"


def statuspage_from_result(
    result: ProbeResult, api_components: tuple[str, ...] = ()
) -> StatusPageObservation:
    page = result.statuspage
    if not result.success or page is None:
        return StatusPageObservation(False, reason=result.failure_reason, error=result.error)
    return StatusPageObservation(
        True,
        page.indicator,
        page.description,
        page.incidents,
        tuple(
            _degraded(c.name, c.group, c.status)
            for c in page.components
            if c.status != "operational"
        ),
        components=tuple((c.name, c.status) for c in page.components),
        api_components=api_components,
    )


def from_live(
    vendor: str,
    results: dict[tuple[str, str, str], ProbeResult],
    api_components: tuple[str, ...] = (),
) -> VendorEvidence:
    """Live results; `api_components`: the vendor config's statuspage_api_components."""
    evidence = VendorEvidence(vendor, "live probes")
    for (name, account, probe), result in sorted(results.items()):
        if name != vendor:
            continue
        if probe == "statuspage":
            evidence.statuspage = statuspage_from_result(result, api_components)
            continue
        evidence.probes.append(
            ProbeObservation(
                account,
                probe,
                result.success,
                result.failure_reason,
                result.http_status,
                result.error,
            )
        )
    return evidence


@dataclass(frozen=True)
class ExporterSnapshot:
    """The exporter's /health body and /metrics samples as {(name, labels): value}."""

    health: dict
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def series(self, name: str) -> Iterable[tuple[dict[str, str], float]]:
        for (sample_name, labels), value in self.samples.items():
            if sample_name == name:
                yield dict(labels), value


def fetch_exporter(url: str, client: httpx.Client) -> ExporterSnapshot:
    """Raises httpx.HTTPError or ValueError (with the reason) when it cannot be read."""
    base = url.rstrip("/")
    metrics = client.get(f"{base}/metrics")
    if metrics.status_code != 200:
        raise ValueError(f"{base}/metrics answered HTTP {metrics.status_code}")
    health = client.get(f"{base}/health")  # 503 is a valid answer: degraded or down
    try:
        body = json.loads(health.content)
    except ValueError:
        raise ValueError(f"{base}/health answered HTTP {health.status_code}, not JSON") from None
    samples = {}
    for family in text_string_to_metric_families(metrics.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return ExporterSnapshot(body if isinstance(body, dict) else {}, samples)


def _health_error(
    snapshot: ExporterSnapshot, vendor: str, account: str, probe: str, reason: str | None
) -> str:
    """The /health error text when it is about this probe (it names one failure per account)."""
    service = snapshot.health.get("services", {}).get(vendor, {})
    entry = service.get("accounts", {}).get(account, {})
    error = str(entry.get("error") or "") if isinstance(entry, dict) else ""
    if error.startswith(f"{probe} probe ") or (reason and error.startswith(f"{reason}: ")):
        return redact(error)
    return ""


def _statuspage_from_metrics(
    snapshot: ExporterSnapshot, vendor: str, probe: dict[str, dict[str, float]]
) -> StatusPageObservation | None:
    own = probe.get("statuspage")
    if own is None:
        return None
    service = snapshot.health.get("services", {}).get(vendor, {})
    page = service.get("statusPage") or {}
    if own.get("success") != 1.0:
        reason = next((r for r, v in own.items() if r.startswith("reason:") and v == 1.0), "")
        return StatusPageObservation(
            False, reason=reason.removeprefix("reason:") or None, error=str(page.get("error") or "")
        )
    indicator = next(
        (
            labels["indicator"]
            for labels, v in snapshot.series("saas_statuspage_indicator")
            if labels.get("vendor") == vendor and v == 1.0
        ),
        None,
    )
    incidents = tuple(
        Incident(labels["id"], labels["name"], labels["impact"], labels["status"], labels["url"])
        for labels, v in snapshot.series("saas_statuspage_incident_info")
        if labels.get("vendor") == vendor and v == 1.0
    )
    listed = [
        labels
        for labels, v in snapshot.series("saas_statuspage_component_status")
        if labels.get("vendor") == vendor and v == 1.0
    ]
    degraded = tuple(
        _degraded(c["component"], c.get("group", ""), c["status"])
        for c in listed
        if c["status"] != "operational"
    )
    # Which components are the API: what the exporter was told (the rules read the same).
    api = tuple(
        sorted(
            labels["component"]
            for labels, v in snapshot.series("saas_statuspage_api_component_info")
            if labels.get("vendor") == vendor and v == 1.0
        )
    )
    return StatusPageObservation(
        True,
        indicator,
        str(page.get("description") or ""),
        incidents,
        tuple(sorted(degraded)),
        components=tuple(sorted((c["component"], c["status"]) for c in listed)),
        api_components=api,
    )


def from_exporter(snapshot: ExporterSnapshot, vendor: str, url: str, now: float) -> VendorEvidence:
    """The exporter's latest results for one vendor; stale probes are infrastructure signs."""
    evidence = VendorEvidence(vendor, f"exporter {url}")
    by_target: dict[tuple[str, str], dict[str, float]] = {}
    wanted = {
        "saas_probe_success": "success",
        "saas_probe_http_status_code": "status",
        "saas_probe_last_run_timestamp_seconds": "last_run",
        "saas_probe_interval_seconds": "interval",
    }
    for name, field_name in wanted.items():
        for labels, value in snapshot.series(name):
            if labels.get("vendor") == vendor:
                by_target.setdefault((labels["account"], labels["probe"]), {})[field_name] = value
    for labels, value in snapshot.series("saas_probe_failing"):
        if labels.get("vendor") == vendor and value == 1.0:
            key = (labels["account"], labels["probe"])
            by_target.setdefault(key, {})[f"reason:{labels['reason']}"] = value
    if not by_target:
        evidence.infrastructure.append(f"the exporter at {url} reports no probes for {vendor}")
        return evidence
    statuspage = {probe: values for (account, probe), values in by_target.items() if not account}
    evidence.statuspage = _statuspage_from_metrics(snapshot, vendor, statuspage)
    for (account, probe), values in sorted(by_target.items()):
        last_run, interval = values.get("last_run", 0.0), values.get("interval", 0.0)
        stale = bool(interval) and (not last_run or now - last_run > STALE_INTERVALS * interval)
        label = f"{vendor}/{account}/{probe}" if account else f"{vendor}/{probe}"
        if stale:
            ago = f"{now - last_run:.0f}s ago" if last_run else "never"
            evidence.infrastructure.append(
                f"probe {label} is stale: last ran {ago}, interval {interval:g}s"
            )
        if not account:
            continue
        failing = next((r for r in values if r.startswith("reason:")), None)
        success = values.get("success") == 1.0
        reason = None if success or failing is None else failing.removeprefix("reason:")
        error = "" if success else _health_error(snapshot, vendor, account, probe, reason)
        evidence.probes.append(
            ProbeObservation(
                account, probe, success, reason, int(values.get("status", 0)), error, stale
            )
        )
    return evidence
