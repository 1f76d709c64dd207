"""`saas-exporter bundle`: the evidence for the postmortem in one tar.gz.

Exit codes: 0 bundle written with every item, 3 bundle written but some items could
not be collected (listed in manifest.json and on stderr), 1 the bundle could not be
written, 2 usage error (flags, a config file that cannot be read). No key ever goes
in: the config is copied with key values removed, and every member passes through the
redactor.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import tarfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import yaml

from .. import __version__
from ..config import ConfigError
from ..redaction import REDACTED, redact
from .common import ConfigSource, config_source, statuspage_urls
from .common import window as window_of
from .frame import (
    Abort,
    Command,
    Context,
    common_flags,
    exporter_flag,
    prometheus_flag,
    timeout_flag,
    window_flag,
)
from .history import utc
from .promapi import PrometheusClient, PrometheusError, aligned_points, over_steps
from .vendor_pages import DOCUMENTS, fetch

EXIT_WRITE = 1
EXIT_PARTIAL = 3
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
SECRET_WORDS = ("key", "token", "secret", "password", "credential")


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


@dataclass(frozen=True)
class BundleReport:
    file: str
    items: tuple[Item, ...]
    files: int

    @property
    def failures(self) -> list[Item]:
        return [item for item in self.items if not item.ok]

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.failures else 0

    @property
    def notes(self) -> list[str]:
        return [f"not collected: {item.source}: {item.error}" for item in self.failures]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "exit_code": self.exit_code,
            "collected": len(self.items) - len(self.failures),
            "files": self.files,
            "items": [asdict(item) for item in self.items],
        }

    def to_text(self, colour: bool) -> str:
        collected = len(self.items) - len(self.failures)
        return (
            f"{self.file}: {collected} of {len(self.items)} items collected ({self.files} files)\n"
        )


def sanitize_config(raw: Any) -> Any:
    """The config with every key value removed; key file paths and variable names stay."""
    if isinstance(raw, dict):
        out = {}
        for name, value in raw.items():
            if name == "accounts" and isinstance(value, list):
                out[name] = [_sanitize_account(a) for a in value]
            elif any(word in str(name).lower() for word in SECRET_WORDS) and not str(name).endswith(
                ("_file", "_env")
            ):
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


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"


def collect_prometheus(
    client: PrometheusClient, window: tuple[float, float], step: float, bundle: Collected
) -> dict[str, Any] | None:
    build = None
    try:
        build = client.raw("/api/v1/status/buildinfo")
        bundle.add("prometheus/buildinfo.json", "GET /api/v1/status/buildinfo", _json(build))
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
            bundle.add(f"prometheus/{name}.json", source, _json({**document, "data": data}))
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


def collect_statuspages(client: httpx.Client, urls: dict[str, str], bundle: Collected) -> None:
    for vendor, base in sorted(urls.items()):
        for path in DOCUMENTS:
            fetched = fetch(client, base, path)
            name = f"statuspage/{vendor}/{path.rsplit('/', 1)[-1]}"
            bundle.add(name, f"GET {fetched.url}", fetched.body, fetched.error)


def _versions(prometheus_build: dict[str, Any] | None) -> dict[str, Any]:
    libraries = {}
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


def _write(path: Path, root: str, members: dict[str, bytes], mtime: float) -> None:
    """tar.gz readable by its owner only: evidence can be sensitive even without keys."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            info.mtime = int(mtime)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))


def _config_members(source: ConfigSource, bundle: Collected) -> dict[str, str]:
    """Adds the sanitized config; returns the status page URLs it names."""
    # Loading registers the keys with the redactor, so even a key that does not look
    # like one is masked in every member.
    with contextlib.suppress(ConfigError):
        source.load()
    try:
        raw = source.raw()
    except ValueError as err:
        bundle.add("config.yaml", source.label, None, str(err))
        return {}
    text = yaml.safe_dump(sanitize_config(raw), sort_keys=False)
    bundle.add("config.yaml", f"{source.label} (key values removed)", text.encode())
    return statuspage_urls(raw)


def gather(args: argparse.Namespace, context: Context) -> BundleReport:
    window, step = window_of(args.since, context.clock)
    source = config_source(args)
    source.require_readable()
    end = window[1]
    stamp = utc(end).strftime("%Y%m%dT%H%M%SZ")
    root = f"saas-bundle-{stamp}"
    target = Path(args.bundle_file or f"{root}.tar.gz")
    bundle = Collected()
    urls = _config_members(source, bundle)
    prometheus = PrometheusClient(args.prometheus_url, args.timeout)
    try:
        build = collect_prometheus(prometheus, window, step, bundle)
    finally:
        prometheus.close()
    with httpx.Client(timeout=args.timeout, trust_env=True) as client:
        if args.exporter_url:
            collect_exporter(client, args.exporter_url, bundle)
        collect_statuspages(client, urls, bundle)
    bundle.add("versions.json", "this machine and Prometheus", _json(_versions(build)))
    manifest = {
        "created": utc(end).isoformat(),
        "since": args.since,
        "window": {"start": window[0], "end": window[1], "step_seconds": step},
        "prometheus_url": args.prometheus_url,
        "exporter_url": args.exporter_url,
        "config_file": source.label,
        "items": [asdict(item) for item in bundle.items],
    }
    members = {
        name: redact(data.decode("utf-8", "replace")).encode()
        for name, data in bundle.members.items()
    }
    members["manifest.json"] = redact(_json(manifest).decode()).encode()
    try:
        _write(target, root, members, end)
    except OSError as error:
        raise Abort(EXIT_WRITE, f"cannot write {target}: {error.strerror or error}") from None
    return BundleReport(str(target), tuple(bundle.items), len(members))


def _own_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="FILE",
        dest="bundle_file",
        help="the tar.gz to write (default: saas-bundle-<UTC time>.tar.gz)",
    )


COMMAND = Command(
    name="bundle",
    summary="while it is fresh: keep the evidence (metrics, alerts, status pages, "
    "config without keys) in one tar.gz",
    description="Collect the evidence into one tar.gz: exporter /metrics and /health, "
    "range queries of the pack's key series, the ALERTS history, the vendors' status page "
    "incidents, the config without secrets, versions. Exit 0 complete, 3 partial, "
    "1 not written, 2 usage error (flags, unreadable config file).",
    parents=lambda: (
        common_flags(),
        prometheus_flag(required=True),
        exporter_flag(),
        window_flag("2h"),
        timeout_flag(),
    ),
    gather=gather,
    add_arguments=_own_flags,
)
run = COMMAND.run
