"""`saas-exporter silences sync --alertmanager-url URL`: Alertmanager silences for every
maintenance the vendors announce, created, updated and expired to match.

Exit codes: 0 in step (or, with --dry-run, the plan printed); 1 a vendor's page or
maintenance feed could not be read (its silences were left as they are); 3 Alertmanager
could not be reached or refused a change; 2 the command could not run (flags, config).
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from ..config import DEFAULT_SILENCE_MARGIN_SECONDS
from ..durations import parse_duration
from ..oncall.common import config_source, select_vendors
from ..oncall.frame import (
    EXIT_USAGE,
    Abort,
    Command,
    Context,
    common_flags,
    paint,
    timeout_flag,
    vendor_flag,
)
from .alertmanager import Alertmanager
from .model import rfc3339
from .sync import SyncResult, read_feeds, sync

EXIT_OK = 0
EXIT_UNREADABLE = 1
EXIT_ALERTMANAGER = 3
_SIGNS = {"create": "+", "update": "~", "expire": "-", "unchanged": "="}
_COLOURS = {"create": "green", "update": "yellow", "expire": "red", "unchanged": "dim"}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}m"


class SyncReport:
    def __init__(self, result: SyncResult) -> None:
        self.result = result

    @property
    def exit_code(self) -> int:
        if self.result.failed:
            return EXIT_ALERTMANAGER
        return EXIT_UNREADABLE if self.result.unreadable else EXIT_OK

    @property
    def notes(self) -> list[str]:
        notes = [
            f"{f.vendor.name}: {f.error}; its silences were left as they are"
            for f in self.result.unreadable
        ]
        if self.result.error:
            notes.append(f"Alertmanager: {self.result.error}")
        notes += [
            f"{a.change.action} {a.change.vendor}/{a.change.maintenance_id}: {a.error}"
            for a in self.result.applied
            if a.error
        ]
        return notes

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "alertmanager_url": r.alertmanager_url,
            "dry_run": r.dry_run,
            "margin_seconds": r.margin_seconds,
            "exit_code": self.exit_code,
            "error": r.error or None,
            "vendors": [
                {
                    "vendor": f.vendor.name,
                    "feed": f.status,
                    "error": f.error or None,
                    "maintenances": len(f.maintenances),
                }
                for f in r.feeds
            ],
            "changes": [_change_json(a) for a in r.applied],
            "skipped": [
                {"vendor": s.vendor, "maintenance": s.maintenance_id, "why": s.why}
                for s in r.skipped
            ],
            "counts": r.counts,
        }

    def to_text(self, colour: bool) -> str:
        r = self.result
        mode = "dry run, nothing changed" if r.dry_run else "applied"
        lines = [f"Alertmanager {r.alertmanager_url} ({mode}; margin {_minutes(r.margin_seconds)})"]
        if r.error:
            lines.append(paint(f"cannot read its silences: {r.error}", "red", colour))
            return "\n".join(lines) + "\n"
        for feed in r.feeds:
            name = feed.vendor.name
            if feed.status != "read":
                lines.append(f"{name}: {feed.error}; silences left as they are")
                continue
            lines.append(f"{name}: {len(feed.maintenances)} maintenance(s) announced")
            for applied in r.applied:
                if applied.change.vendor == name:
                    lines += _change_lines(applied, colour)
            lines += [
                f"    (not silenced) {s.maintenance_id}: {s.why}"
                for s in r.skipped
                if s.vendor == name
            ]
        counts = r.counts
        verb = "would" if r.dry_run else "did"
        lines.append(
            f"{verb}: {counts.get('create', 0)} create, {counts.get('update', 0)} update, "
            f"{counts.get('expire', 0)} expire; {counts.get('unchanged', 0)} unchanged"
        )
        return "\n".join(lines) + "\n"


def _change_json(applied) -> dict[str, Any]:
    change = applied.change
    body: dict[str, Any] = {
        "action": change.action,
        "vendor": change.vendor,
        "maintenance": change.maintenance_id,
        "silence_id": applied.silence_id or None,
        "why": change.why or None,
        "error": applied.error or None,
    }
    if change.desired is not None:
        body["silence"] = change.desired.to_api()
    return body


def _change_lines(applied, colour: bool) -> list[str]:
    change = applied.change
    sign = paint(f"  {_SIGNS[change.action]} {change.action:<9}", _COLOURS[change.action], colour)
    ident = f" silence {applied.silence_id}" if applied.silence_id else ""
    head = f"{sign} {change.maintenance_id}{ident}"
    if change.why:
        head += f": {change.why}"
    lines = [head]
    want = change.desired
    if want is not None and change.action != "unchanged":
        matchers = ", ".join(str(m) for m in want.matchers)
        lines.append(f"      {rfc3339(want.starts_at)} to {rfc3339(want.ends_at)}  {{{matchers}}}")
    if applied.error:
        lines.append(paint(f"      failed: {applied.error}", "red", colour))
    return lines


def _margin(args: argparse.Namespace, configured: float | None) -> float:
    if args.margin is None:
        return configured if configured is not None else DEFAULT_SILENCE_MARGIN_SECONDS
    try:
        return parse_duration(args.margin)
    except ValueError as err:
        raise Abort(EXIT_USAGE, f"--margin: {err}") from None


def gather(args: argparse.Namespace, context: Context) -> SyncReport:
    if args.action != "sync":
        raise Abort(EXIT_USAGE, f"unknown action {args.action!r} (expected: sync)")
    # Status pages and Alertmanager only: no vendor key is read (none need be mounted).
    config = config_source(args).load_or_abort(keys=False)
    settings = config.maintenances.silences
    url = args.alertmanager_url or (settings.alertmanager_url if settings else None)
    if not url:
        raise Abort(
            EXIT_USAGE,
            "--alertmanager-url: required (or maintenances.silences.alertmanager_url in the "
            "config)",
        )
    margin = _margin(args, settings.margin_seconds if settings else None)
    vendors = select_vendors(config, args.vendor)
    feeds = read_feeds(vendors)
    with httpx.Client(trust_env=True) as client:
        alertmanager = Alertmanager(url, client, args.timeout)
        result = sync(feeds, alertmanager, context.clock(), margin, dry_run=args.dry_run)
    return SyncReport(result)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["sync"], help="sync: bring the silences in step")
    parser.add_argument(
        "--alertmanager-url",
        metavar="URL",
        help="the Alertmanager to keep the silences in (http://host:9093); default: "
        "maintenances.silences.alertmanager_url in the config",
    )
    parser.add_argument(
        "--margin",
        metavar="DURATION",
        help="widen each announced window by this much on both sides (default: "
        "maintenances.silences.margin in the config, else 10m)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the changes (the diff) without making them",
    )


COMMAND = Command(
    name="silences",
    summary="silences sync: Alertmanager silences for the maintenances vendors announce "
    "(exit 0 in step, 1 a page unreadable, 3 Alertmanager failed)",
    description="silences sync: read each vendor's announced maintenances (upcoming and "
    "in progress) from its status page and create, update or expire one Alertmanager "
    "silence per maintenance window (plus --margin), matching only vendor-caused alerts "
    "for the affected components, never a rejected key, a wrong account or a monitoring "
    "gap. Idempotent; --dry-run prints the diff. Exit 0 in step, 1 a vendor's page or "
    "feed unreadable (its silences left as they are), 3 Alertmanager unreachable or "
    "refused a change, 2 usage error.",
    parents=lambda: (common_flags(), vendor_flag(), timeout_flag()),
    gather=gather,
    add_arguments=_arguments,
)
run = COMMAND.run
