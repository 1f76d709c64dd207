"""preflight's checks: each one question about a vendor or account, answered pass, warn
or fail with a one-line detail, from one run of every probe."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config import AccountConfig, ExporterConfig, VendorConfig
from ..probes import ProbeResult, targets_for
from ..ratelimit_headers import UNSPECIFIED_WINDOW
from ..revisions import revision_lifecycle
from ..wording import window_name
from .live import probe_once

# Headroom below this share of the tightest window's limit is a warning.
LOW_HEADROOM_SHARE = 0.10


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
    """The scope each probe's endpoint needs (the catalog's); a kind that documents none
    still has its 403s reported, as a missing permission."""
    probes = vendor.kind_spec.probes
    scopes = {p: scope for p in results if (scope := probes[p].scope)}
    missing = [
        f"{scopes.get(probe, 'a permission')} (403 on the {probe} probe: {r.error})"
        for probe, r in results.items()
        if r.failure_reason == "forbidden"
    ]
    if missing:
        return Check(vendor.name, account.name, "scopes", "fail", "missing " + "; ".join(missing))
    needed = (
        ", ".join(scopes.values())
        if scopes
        else f"no scopes documented for {vendor.kind_spec.display_name}"
    )
    unverified = [p for p, r in results.items() if not r.success]
    if unverified:
        return Check(
            vendor.name,
            account.name,
            "scopes",
            "warn",
            f"not verified ({', '.join(unverified)} probe failed); needed: {needed}",
        )
    if not scopes:
        probed = ", ".join(results)
        return Check(vendor.name, account.name, "scopes", "pass", f"{needed}; {probed} allowed")
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
    # A vendor that names no window (Clay) gets no made-up one.
    span = "" if window == UNSPECIFIED_WINDOW else f" in {window_name(window)}"
    text = f"{info.remaining:g} of {limit:g} left{span}"
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
