"""`saas-exporter preflight`: the production checklist's pre-flight, one call per endpoint.

Exit codes: 0 every check passed, 1 at least one failed, 3 warnings only (CI/CD may
gate a deploy on 0, or on 0 and 3), 2 usage error (flags, a config file that cannot be
read, unknown --vendor). An invalid config is a failed check (exit 1): it is what a
pre-flight is for.
"""

from __future__ import annotations

import argparse
import stat
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import AccountConfig, ConfigError, ExporterConfig, VendorConfig
from ..probes import ProbeResult, targets_for
from ..revisions import revision_lifecycle
from ..wording import plural, window_name
from .common import config_source, select_vendors
from .frame import Command, Context, common_flags, paint, vendor_flag
from .live import probe_once

EXIT_FAIL = 1
EXIT_WARN = 3
# Headroom below this share of the tightest window's limit is a warning.
LOW_HEADROOM_SHARE = 0.10
# The scope each Klaviyo probe's endpoint needs (vendor-facts: 403 permission_denied).
SCOPES = {"accounts": "accounts:read", "profiles": "profiles:read"}
_RANK = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Check:
    vendor: str
    account: str
    check: str
    status: str  # pass | warn | fail
    detail: str


def key_file_of(account: AccountConfig) -> Path | None:
    """The key file's path, from the loader's `key_source` ("file <path>")."""
    prefix = "file "
    return (
        Path(account.key_source[len(prefix) :]) if account.key_source.startswith(prefix) else None
    )


def check_key_source(vendor: str, account: AccountConfig) -> Check:
    """World-writable key file: fail (anyone can swap the key). World-readable: warn."""
    path = key_file_of(account)
    if path is None:
        return Check(vendor, account.name, "key source", "pass", f"key from {account.key_source}")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as err:
        return Check(vendor, account.name, "key source", "fail", f"{path}: {err.strerror}")
    if mode & stat.S_IWOTH:
        return Check(
            vendor,
            account.name,
            "key source",
            "fail",
            f"{path} is world-writable (mode {mode:04o}): anyone on the host can replace the "
            "key; chmod 0400",
        )
    if mode & stat.S_IROTH:
        return Check(
            vendor,
            account.name,
            "key source",
            "warn",
            f"{path} is world-readable (mode {mode:04o}): chmod 0400 (Kubernetes: "
            "defaultMode: 0400 on the Secret volume)",
        )
    return Check(vendor, account.name, "key source", "pass", f"{path} (mode {mode:04o})")


def check_revision(vendor: VendorConfig, today: datetime) -> Check:
    if not vendor.revision:
        return Check(vendor.name, "", "revision", "pass", "no revision header for this vendor")
    try:
        life = revision_lifecycle(vendor.revision)
    except ValueError as err:
        return Check(vendor.name, "", "revision", "fail", str(err))
    day = today.date()
    if day >= life.retired:
        status, text = "fail", f"retired on {life.retired}: move to a current revision"
    elif day >= life.deprecated:
        status, text = "warn", f"deprecated since {life.deprecated}, retires on {life.retired}"
    else:
        status, text = "pass", f"stable until {life.deprecated}, retires on {life.retired}"
    return Check(vendor.name, "", "revision", status, f"{vendor.revision}: {text}")


def check_statuspage(vendor: VendorConfig, result: ProbeResult | None) -> Check:
    if result is None:
        return Check(vendor.name, "", "status page", "pass", "not configured (statuspage_url)")
    page = result.statuspage
    if not result.success or page is None:
        return Check(
            vendor.name,
            "",
            "status page",
            "warn",
            f"cannot be read ({result.failure_reason}: {result.error}): check it by hand",
        )
    incidents = "; ".join(f"{i.name} ({i.impact}, {i.status})" for i in page.incidents)
    text = f"{page.indicator}: {page.description}" + (f"; {incidents}" if incidents else "")
    status = {"none": "pass", "minor": "warn", "maintenance": "warn"}.get(page.indicator, "fail")
    return Check(vendor.name, "", "status page", status, text)


def _failure(result: ProbeResult) -> str:
    return (
        f"{result.failure_reason}: {result.error}" if result.error else str(result.failure_reason)
    )


def check_identity(vendor: VendorConfig, account: AccountConfig, result: ProbeResult) -> Check:
    name, expected = account.name, account.expected_account_id
    if result.success and result.account is not None:
        got = result.account.account_id
        if expected:
            return Check(
                vendor.name, name, "authentication", "pass", f"account {got} (as expected)"
            )
        return Check(
            vendor.name,
            name,
            "authentication",
            "warn",
            f"account {got}; set expected_account_id to catch a key from the wrong account",
        )
    if result.failure_reason == "forbidden":
        # The key authenticated; the scope check reports what is missing.
        return Check(vendor.name, name, "authentication", "pass", "key accepted (403: scope)")
    if result.failure_reason == "throttled":
        return Check(
            vendor.name, name, "authentication", "warn", f"not verified: {_failure(result)}"
        )
    return Check(vendor.name, name, "authentication", "fail", _failure(result))


def check_scopes(
    vendor: VendorConfig, account: AccountConfig, results: dict[str, ProbeResult]
) -> Check:
    missing = [
        f"{SCOPES.get(probe, probe)} (403 on the {probe} probe: {r.error})"
        for probe, r in results.items()
        if r.failure_reason == "forbidden"
    ]
    if missing:
        return Check(vendor.name, account.name, "scopes", "fail", "missing " + "; ".join(missing))
    needed = ", ".join(SCOPES.get(p, p) for p in results)
    unverified = [p for p, r in results.items() if not r.success]
    if unverified:
        return Check(
            vendor.name,
            account.name,
            "scopes",
            "warn",
            f"not verified ({', '.join(unverified)} probe failed); needed: {needed}",
        )
    return Check(vendor.name, account.name, "scopes", "pass", f"granted: {needed}")


def _window_seconds(window: str) -> float:
    try:
        return float(window)
    except ValueError:
        return float("inf")


def check_headroom(vendor: VendorConfig, account: AccountConfig, result: ProbeResult) -> Check:
    name = account.name
    if result.failure_reason == "throttled":
        wait = result.retry_after_seconds
        after = f", Retry-After {wait:g}s" if wait is not None else ""
        return Check(vendor.name, name, "rate-limit headroom", "fail", f"none left (429{after})")
    info = result.ratelimit
    if info is None or info.remaining is None:
        if not result.success:
            return Check(
                vendor.name, name, "rate-limit headroom", "warn", f"unknown: {_failure(result)}"
            )
        return Check(
            vendor.name,
            name,
            "rate-limit headroom",
            "warn",
            "the vendor sent no rate-limit headers",
        )
    if not info.limits:
        return Check(vendor.name, name, "rate-limit headroom", "pass", f"{info.remaining:g} left")
    window = min(info.limits, key=_window_seconds)
    limit = info.limits[window]
    text = f"{info.remaining:g} of {limit:g} left in {window_name(window)}"
    status = "warn" if info.remaining < LOW_HEADROOM_SHARE * limit else "pass"
    if status == "warn":
        text += f" (below {LOW_HEADROOM_SHARE:.0%}): something else is spending the budget"
    return Check(vendor.name, name, "rate-limit headroom", status, text)


def vendor_checks(
    vendor: VendorConfig, results: dict[tuple[str, str, str], ProbeResult], today: datetime
) -> list[Check]:
    kind = vendor.kind_spec
    checks = [
        check_statuspage(vendor, results.get((vendor.name, "", "statuspage"))),
        check_revision(vendor, today),
    ]
    for account in vendor.accounts:
        mine = {p: results[(vendor.name, account.name, p)] for p in kind.account_probes}
        checks.append(check_key_source(vendor.name, account))
        checks.append(check_identity(vendor, account, mine[kind.identity_probe]))
        checks.append(check_scopes(vendor, account, mine))
        headroom = [p for p in kind.account_probes if p != kind.identity_probe]
        checks.append(
            check_headroom(vendor, account, mine[headroom[0] if headroom else kind.identity_probe])
        )
    return checks


def run_checks(
    config: ExporterConfig, vendors: tuple[VendorConfig, ...], clock: Callable[[], float]
) -> list[Check]:
    names = {v.name for v in vendors}
    targets = [t for t in targets_for(config) if t.vendor.name in names]
    results = probe_once(targets, config.max_concurrency, clock)
    today = datetime.fromtimestamp(clock(), UTC)
    checks: list[Check] = []
    for vendor in vendors:
        checks += vendor_checks(vendor, results, today)
    return checks


def exit_code(checks: Sequence[Check]) -> int:
    worst = max((_RANK[c.status] for c in checks), default=0)
    return {0: 0, 1: EXIT_WARN, 2: EXIT_FAIL}[worst]


@dataclass(frozen=True)
class PreflightReport:
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def to_json(self) -> dict[str, Any]:
        status = {0: "pass", EXIT_WARN: "warn", EXIT_FAIL: "fail"}[self.exit_code]
        return {
            "status": status,
            "exit_code": self.exit_code,
            "checks": [asdict(c) for c in self.checks],
        }

    def to_text(self, colour: bool) -> str:
        tint = {"pass": "green", "warn": "yellow", "fail": "red"}
        lines = []
        for c in self.checks:
            where = "/".join(x for x in (c.vendor, c.account) if x) or "config"
            lines.append(
                f"{paint(c.status.upper(), tint[c.status], colour)}  {where:<20} "
                f"{c.check:<20} {c.detail}"
            )
        code = self.exit_code
        summary = {0: "all checks passed", EXIT_WARN: "warnings only", EXIT_FAIL: "FAILED"}[code]
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "warn", "fail")}
        lines.append(
            f"preflight: {summary} ({counts['pass']} passed, {counts['warn']} warnings, "
            f"{counts['fail']} failed; exit {code})"
        )
        return "\n".join(lines) + "\n"


def gather(args: argparse.Namespace, context: Context) -> PreflightReport:
    source = config_source(args)
    source.require_readable()
    try:
        config = source.load()
    except ConfigError as error:
        # An invalid config is what a pre-flight is for: a failed check, not a usage error.
        return PreflightReport(
            tuple(Check("", "", "config", "fail", problem) for problem in error.problems)
        )
    vendors = select_vendors(config, args.vendor)
    accounts = sum(len(v.accounts) for v in vendors)
    valid = Check(
        "",
        "",
        "config",
        "pass",
        f"{source.label}: valid; {plural(len(vendors), 'vendor')}, "
        f"{plural(accounts, 'account')}, "
        "keys from files or the environment only",
    )
    return PreflightReport((valid, *run_checks(config, vendors, context.clock)))


COMMAND = Command(
    name="preflight",
    summary="before a deploy: is every vendor, key, scope and budget ready? "
    "(exit 0 pass, 1 fail, 3 warnings only)",
    description="Pre-deploy checks: status page, key authenticates for the expected "
    "account, scopes, rate-limit headroom, API revision, config sanity. Calls each vendor "
    "endpoint once. Exit 0 all passed, 1 a failure (an invalid config included), "
    "3 warnings only, 2 usage error (flags, unreadable config file, unknown --vendor).",
    parents=lambda: (common_flags(), vendor_flag()),
    gather=gather,
)
run = COMMAND.run
