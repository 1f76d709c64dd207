"""What bundle collects, item by item: Prometheus's key series, the exporter's state, the
status pages, the config without its keys, versions. Each item is kept with its source,
or recorded with why it could not be collected."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import httpx

from .. import __version__
from ..redaction import REDACTED, is_credential_name
from .promapi import PrometheusClient, PrometheusError, aligned_points, over_steps
from .vendor_pages import StatusPage, read_page

# The rule pack's key series, as range queries (file name -> PromQL).
KEY_SERIES: dict[str, str] = {
    "alerts": 'ALERTS{alertname=~"Saas.*"}',
    "probe_success": "saas_probe_success",
    "probe_failing": "saas_probe_failing == 1",
    "probe_failures_5m": "sum by (vendor, account, probe, reason) "
    "(increase(saas_probe_failures_total[5m])) > 0",
    "probe_http_status": "saas_probe_http_status_code",
    "probe_duration_seconds": "saas_probe_duration_seconds",
    "ratelimit_remaining": "saas_ratelimit_remaining",
    "retry_after_seconds": "saas_retry_after_seconds",
    "statuspage_indicator": "saas_statuspage_indicator == 1",
    "statuspage_incidents": "saas_statuspage_incident_info",
    "statuspage_components_degraded": 'saas_statuspage_component_status{status!="operational"}'
    " == 1",
    "api_requests_rate_5m": "sum by (vendor, endpoint, code) (rate(saas_api_requests_total[5m]))",
    "api_latency_p95_5m": "histogram_quantile(0.95, sum by (vendor, endpoint, le) "
    "(rate(saas_api_request_duration_seconds_bucket[5m])))",
    "webhook_verifications_rate_5m": "sum by (vendor, result) "
    "(rate(saas_webhook_verifications_total[5m]))",
    "exporter_up": 'up{job="saas-exporter"}',
}
# Fields of an account that may be copied: where the key lives, never the key.
SAFE_ACCOUNT_FIELDS = ("name", "api_key_file", "api_key_env", "expected_account_id")


@dataclass(frozen=True)
class Item:
    """One piece of evidence: the member it became, or why it could not be collected."""

    file: str | None
    source: str
    ok: bool
    error: str


@dataclass
class Collected:
    members: dict[str, bytes] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)

    def add(self, name: str, source: str, data: bytes | None, error: str = "") -> None:
        ok = data is not None and not error
        self.items.append(Item(name if ok else None, source, ok, error))
        if data is not None and ok:
            self.members[name] = data

    @property
    def failures(self) -> list[Item]:
        return [item for item in self.items if not item.ok]


def sanitize_config(raw: Any) -> Any:
    """The config with every key value removed; key file paths and variable names stay."""
    if isinstance(raw, dict):
        out: dict[Any, Any] = {}
        for name, value in raw.items():
            if name == "accounts" and isinstance(value, list):
                out[name] = [_sanitize_account(a) for a in value]
            elif is_credential_name(str(name)):  # the one redaction rule's names
                out[name] = REDACTED
            else:
                out[name] = sanitize_config(value)
        return out
    if isinstance(raw, list):
        return [sanitize_config(v) for v in raw]
    return raw


def _sanitize_account(account: Any) -> Any:
    if not isinstance(account, dict):
        return REDACTED
    return {k: (v if k in SAFE_ACCOUNT_FIELDS else REDACTED) for k, v in account.items()}


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"


def collect_prometheus(
    client: PrometheusClient, window: tuple[float, float], step: float, bundle: Collected
) -> dict[str, Any] | None:
    build = None
    try:
        build = client.raw("/api/v1/status/buildinfo")
        bundle.add("prometheus/buildinfo.json", "GET /api/v1/status/buildinfo", json_bytes(build))
    except PrometheusError as err:
        bundle.add("prometheus/buildinfo.json", "GET /api/v1/status/buildinfo", None, str(err))
    points = aligned_points(*window, step)
    for name, selector in KEY_SERIES.items():
        # Every ALERTS point covers the step before it: a short-lived alert is not missed.
        expr = over_steps(selector, step) if name == "alerts" else selector
        source = f"query_range {expr} step={step:g}s"
        try:
            data = client.query_range_raw(expr, *points)
            document = {"query": expr, "start": window[0], "end": window[1], "step": step}
            bundle.add(f"prometheus/{name}.json", source, json_bytes({**document, "data": data}))
        except PrometheusError as err:
            bundle.add(f"prometheus/{name}.json", source, None, str(err))
    return build


def collect_exporter(client: httpx.Client, url: str, bundle: Collected) -> None:
    base = url.rstrip("/")
    for path, name in (("/metrics", "exporter/metrics.txt"), ("/health", "exporter/health.json")):
        try:
            response = client.get(f"{base}{path}")
        except httpx.HTTPError as err:
            bundle.add(name, f"GET {base}{path}", None, f"{type(err).__name__}: {err}")
            continue
        # /health answers 503 when degraded: that is evidence, not a failure to collect.
        ok = response.status_code == 200 or (path == "/health" and response.status_code == 503)
        error = "" if ok else f"HTTP {response.status_code}"
        bundle.add(name, f"GET {base}{path} (HTTP {response.status_code})", response.content, error)


def collect_statuspages(client: httpx.Client, pages: list[StatusPage], bundle: Collected) -> None:
    """Each page's summary and incident history, at its format's paths."""
    for page in pages:
        documents = read_page(client, page)
        if documents.page_format is None:
            bundle.add(f"statuspage/{page.vendor}", f"GET {page.url}", None, documents.error)
            continue
        for fetched in (documents.summary, documents.incidents):
            if fetched is not None:
                name = f"statuspage/{page.vendor}/{fetched.name}"
                bundle.add(name, f"GET {fetched.url}", fetched.body, fetched.error)


def versions(prometheus_build: dict[str, Any] | None) -> dict[str, Any]:
    libraries: dict[str, str | None] = {}
    for name in ("httpx", "prometheus-client", "PyYAML", "jsonschema"):
        try:
            libraries[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libraries[name] = None
    return {
        "saas_exporter": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": libraries,
        "prometheus": prometheus_build,
    }
