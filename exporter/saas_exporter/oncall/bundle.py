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
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from ..config import ConfigError
from ..redaction import redact
from .bundle_evidence import (
    Collected,
    Item,
    collect_exporter,
    collect_prometheus,
    collect_statuspages,
    json_bytes,
    sanitize_config,
    versions,
)
from .common import ConfigSource, config_source
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
from .promapi import PrometheusClient
from .vendor_pages import StatusPage, status_pages

EXIT_WRITE = 1
EXIT_PARTIAL = 3


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


def _config_members(source: ConfigSource, bundle: Collected) -> list[StatusPage]:
    """Adds the sanitized config; returns the status pages it names."""
    # Loading registers the keys with the redactor, so even a key that does not look
    # like one is masked in every member.
    with contextlib.suppress(ConfigError):
        source.load()
    try:
        raw = source.raw()
    except ValueError as err:
        bundle.add("config.yaml", source.label, None, str(err))
        return []
    text = yaml.safe_dump(sanitize_config(raw), sort_keys=False)
    bundle.add("config.yaml", f"{source.label} (key values removed)", text.encode())
    return status_pages(raw)


def gather(args: argparse.Namespace, context: Context) -> BundleReport:
    window, step = window_of(args.since, context.clock)
    source = config_source(args)
    source.require_readable()
    end = window[1]
    stamp = utc(end).strftime("%Y%m%dT%H%M%SZ")
    root = f"saas-bundle-{stamp}"
    target = Path(args.bundle_file or f"{root}.tar.gz")
    bundle = Collected()
    pages = _config_members(source, bundle)
    prometheus = PrometheusClient(args.prometheus_url, args.timeout)
    try:
        build = collect_prometheus(prometheus, window, step, bundle)
    finally:
        prometheus.close()
    with httpx.Client(timeout=args.timeout, trust_env=True) as client:
        if args.exporter_url:
            collect_exporter(client, args.exporter_url, bundle)
        collect_statuspages(client, pages, bundle)
    bundle.add("versions.json", "this machine and Prometheus", json_bytes(versions(build)))
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
    members["manifest.json"] = redact(json_bytes(manifest).decode()).encode()
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
