"""One sync: read each vendor's announced maintenances, read Alertmanager's silences,
apply the plan (or, dry run, only print it).

The maintenances come from the status pages themselves (the one-shot command probes
them) or from the running exporter's latest status-page results (the in-exporter sync);
either way through `feed_of`, so both read a page the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import httpx

from ..catalog import STATUSPAGE_PROBE
from ..config import VendorConfig
from ..probes import ProbeResult, prober_for
from ..probes.target import ProbeTarget
from ..state import TargetState
from .alertmanager import Alertmanager, AlertmanagerError
from .plan import Change, Skipped, VendorFeed, plan

NO_PAGE = "no status page configured"
NO_FEED = (
    "the page publishes no scheduled maintenances (Rootly: a running one is only its indicator)"
)


def feed_of(vendor: VendorConfig, result: ProbeResult | None) -> VendorFeed:
    """What the latest status-page result says about the vendor's announced maintenances."""
    if vendor.statuspage_url is None:
        return VendorFeed(vendor, "no_feed", error=NO_PAGE)
    if result is None:
        return VendorFeed(vendor, "unreadable", error="the status page has not been probed yet")
    if not result.success or result.statuspage is None:
        return VendorFeed(vendor, "unreadable", error=f"status page: {result.error}")
    feed = result.statuspage.maintenances
    if feed is None:
        return VendorFeed(vendor, "no_feed", error=NO_FEED)
    if not feed.ok:
        return VendorFeed(vendor, "unreadable", error=f"maintenance feed: {feed.error}")
    return VendorFeed(vendor, "read", feed.maintenances)


def feeds_from_states(
    vendors: Sequence[VendorConfig], states: Iterable[TargetState]
) -> list[VendorFeed]:
    """From the running exporter's store (its latest status-page probes)."""
    latest = {s.target.vendor.name: s.last for s in states if s.target.probe == STATUSPAGE_PROBE}
    return [feed_of(vendor, latest.get(vendor.name)) for vendor in vendors]


def read_feeds(vendors: Sequence[VendorConfig]) -> list[VendorFeed]:
    """Probe each vendor's status page now (the one-shot command)."""

    async def probe_all() -> list[ProbeResult | None]:
        async with httpx.AsyncClient(trust_env=True) as client:

            async def probe(vendor: VendorConfig) -> ProbeResult | None:
                if vendor.statuspage_url is None:
                    return None
                target = ProbeTarget(vendor, None, STATUSPAGE_PROBE)
                return await prober_for(target)(target, client)

            return list(await asyncio.gather(*(probe(v) for v in vendors)))

    return [feed_of(v, r) for v, r in zip(vendors, asyncio.run(probe_all()), strict=True)]


@dataclass(frozen=True)
class Applied:
    change: Change
    # The silence's id after the change (a new one for a create, maybe for an update).
    silence_id: str = ""
    error: str = ""


@dataclass(frozen=True)
class SyncResult:
    alertmanager_url: str
    dry_run: bool
    margin_seconds: float
    feeds: tuple[VendorFeed, ...]
    applied: tuple[Applied, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    # Alertmanager could not be listed: nothing was planned.
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Alertmanager refused or was unreachable (listing, or a change)."""
        return bool(self.error) or any(a.error for a in self.applied)

    @property
    def unreadable(self) -> tuple[VendorFeed, ...]:
        return tuple(f for f in self.feeds if f.status == "unreadable")


def _apply(alertmanager: Alertmanager, change: Change) -> Applied:
    try:
        if change.action == "create":
            assert change.desired is not None
            return Applied(change, alertmanager.put(change.desired))
        if change.action == "update":
            assert change.desired is not None and change.existing is not None
            return Applied(change, alertmanager.put(change.desired, change.existing.id))
        if change.action == "expire":
            assert change.existing is not None
            alertmanager.expire(change.existing.id)
        return Applied(change, change.existing.id if change.existing else "")
    except AlertmanagerError as err:
        return Applied(change, change.existing.id if change.existing else "", str(err))


def sync(
    feeds: Sequence[VendorFeed],
    alertmanager: Alertmanager,
    now: float,
    margin_seconds: float,
    dry_run: bool = False,
) -> SyncResult:
    base = SyncResult(alertmanager.url, dry_run, margin_seconds, tuple(feeds))
    try:
        existing = alertmanager.silences()
    except AlertmanagerError as err:
        return replace(base, error=str(err))
    changes, skipped = plan(feeds, existing, now, margin_seconds)
    if dry_run:
        applied = [Applied(c, c.existing.id if c.existing else "") for c in changes]
    else:
        applied = [_apply(alertmanager, c) for c in changes]
    counts = {action: 0 for action in ("create", "update", "expire", "unchanged")}
    for change in changes:
        counts[change.action] += 1
    return SyncResult(
        alertmanager.url,
        dry_run,
        margin_seconds,
        tuple(feeds),
        tuple(applied),
        tuple(skipped),
        counts=counts,
    )
