"""From announced maintenances and Alertmanager's silences to the changes that make them
agree: create, update, expire, or leave unchanged. Pure: no I/O, time passed in.

One silence per announced maintenance with a window: from its start minus the margin to
its end plus the margin. A managed silence whose maintenance is no longer announced (it
was cancelled, or completed early) is expired. A vendor whose page or feed could not be
read keeps its silences as they are: an unreadable page never ends a silence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..catalog import CATALOG
from ..config import VendorConfig
from ..probes.result import Maintenance
from .model import (
    SILENCEABLE_LABEL,
    SILENCEABLE_VALUE,
    VENDOR_CAUSE,
    DesiredSilence,
    ExistingSilence,
    Matcher,
    marker,
    regex_literal,
    rfc3339,
)

# Two times closer than this are the same (Alertmanager keeps milliseconds).
TIME_TOLERANCE_SECONDS = 1.0
# A maintenance still in progress past its window is extended by at least this much.
MIN_EXTENSION_SECONDS = 300.0

FeedStatus = Literal["read", "no_feed", "unreadable"]
Action = Literal["create", "update", "expire", "unchanged"]


@dataclass(frozen=True)
class VendorFeed:
    """What one vendor's page announced, or why nothing is known."""

    vendor: VendorConfig
    status: FeedStatus
    maintenances: tuple[Maintenance, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Change:
    action: Action
    vendor: str
    maintenance_id: str
    desired: DesiredSilence | None = None
    existing: ExistingSilence | None = None
    why: str = ""


@dataclass(frozen=True)
class Skipped:
    vendor: str
    maintenance_id: str
    why: str


def affects_api(vendor: VendorConfig, maintenance: Maintenance) -> bool:
    """The maintenance touches the API the integration calls: it names an API component,
    names no component at all, or the vendor has no API component on its page (its
    indicator stands for the API, as in the cause rule)."""
    api = set(vendor.statuspage_api_components)
    return not maintenance.components or not api or bool(api & set(maintenance.components))


def matchers(vendor: VendorConfig, maintenance: Maintenance) -> tuple[Matcher, ...]:
    components = [regex_literal(c) for c in maintenance.components]
    # An alert without a `component` label (the API's alerts) matches the empty branch.
    branches = ([""] if affects_api(vendor, maintenance) else []) + components
    result = [
        Matcher("vendor", vendor.name),
        Matcher("cause", VENDOR_CAUSE),
        Matcher(SILENCEABLE_LABEL, SILENCEABLE_VALUE),
    ]
    if branches != [""]:
        result.append(Matcher("component", "|".join(branches), is_regex=True))
    return tuple(sorted(result))


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def comment(vendor: VendorConfig, maintenance: Maintenance, margin: float) -> str:
    assert maintenance.starts_at is not None and maintenance.ends_at is not None
    display = CATALOG.kinds[vendor.kind].display_name if vendor.kind != "generic" else vendor.name
    affected = ", ".join(maintenance.components) or "no component named"
    notice = maintenance.url or f"{vendor.statuspage_url} (the notice has no link)"
    return (
        f'{display} announced maintenance "{maintenance.name}" (affects: {affected}), '
        f"{rfc3339(maintenance.starts_at)} to {rfc3339(maintenance.ends_at)}, plus a "
        f"{_duration(margin)} margin each side. Vendor notice: {notice}. Silences "
        "vendor-caused alerts only: a rejected key, a wrong account and monitoring gaps "
        f"still page. Managed by saas-exporter silences sync "
        f"{marker(vendor.name, maintenance.id)}"
    )


def window_end(item: Maintenance, now: float, margin: float) -> float:
    """The announced end plus the margin; while the vendor still says a maintenance is in
    progress past that, the end moves on in steps (the margin, at least 5 minutes), so
    the silence lasts as long as the maintenance and runs in one step change nothing."""
    assert item.ends_at is not None
    end = item.ends_at + margin
    if item.in_progress and end < now + margin:
        step = max(margin, MIN_EXTENSION_SECONDS)
        end += math.ceil((now + margin - end) / step) * step
    return end


def desired(
    feed: VendorFeed, now: float, margin: float
) -> tuple[list[DesiredSilence], list[Skipped]]:
    silences: list[DesiredSilence] = []
    skipped: list[Skipped] = []
    for item in feed.maintenances:
        if item.starts_at is None or item.ends_at is None:
            skipped.append(Skipped(feed.vendor.name, item.id, "the notice gives no window"))
            continue
        ends_at = window_end(item, now, margin)
        if ends_at <= now:
            skipped.append(Skipped(feed.vendor.name, item.id, "its window has passed"))
            continue
        silences.append(
            DesiredSilence(
                vendor=feed.vendor.name,
                maintenance_id=item.id,
                matchers=matchers(feed.vendor, item),
                starts_at=item.starts_at - margin,
                ends_at=ends_at,
                comment=comment(feed.vendor, item, margin),
            )
        )
    return silences, skipped


def same_time(a: float, b: float) -> bool:
    return abs(a - b) < TIME_TOLERANCE_SECONDS


def differences(want: DesiredSilence, have: ExistingSilence, now: float) -> list[str]:
    """What an existing silence must change to be the desired one ([]: nothing)."""
    found = []
    if tuple(sorted(want.matchers)) != have.matchers:
        found.append("matchers")
    # Alertmanager starts a silence created with a past start now: once both have
    # started, their starts are the same as far as silencing goes.
    started = want.starts_at <= now and have.starts_at <= now + TIME_TOLERANCE_SECONDS
    if not started and not same_time(want.starts_at, have.starts_at):
        found.append(f"startsAt {rfc3339(have.starts_at)} -> {rfc3339(want.starts_at)}")
    if not same_time(want.ends_at, have.ends_at):
        found.append(f"endsAt {rfc3339(have.ends_at)} -> {rfc3339(want.ends_at)}")
    if want.comment != have.comment:
        found.append("comment")
    return found


def plan(
    feeds: Iterable[VendorFeed], existing: Iterable[ExistingSilence], now: float, margin: float
) -> tuple[list[Change], list[Skipped]]:
    """The changes, in vendor order, then maintenance order; and what was not silenced."""
    managed: dict[tuple[str, str], list[ExistingSilence]] = {}
    for silence in existing:
        key = silence.managed_key
        if key is not None:
            managed.setdefault(key, []).append(silence)
    changes: list[Change] = []
    skipped: list[Skipped] = []
    for feed in feeds:
        name = feed.vendor.name
        if feed.status != "read":
            continue  # its silences stay as they are
        wanted, not_silenced = desired(feed, now, margin)
        skipped += not_silenced
        wanted_keys = {w.key for w in wanted}
        for want in wanted:
            have = sorted(managed.get(want.key, []), key=lambda s: s.id)
            if not have:
                changes.append(Change("create", name, want.maintenance_id, desired=want))
                continue
            first, *extra = have
            diff = differences(want, first, now)
            action: Action = "update" if diff else "unchanged"
            changes.append(Change(action, name, want.maintenance_id, want, first, "; ".join(diff)))
            changes += [
                Change("expire", name, want.maintenance_id, existing=s, why="duplicate")
                for s in extra
            ]
        gone = sorted(k for k in managed if k[0] == name and k not in wanted_keys)
        for key in gone:
            for silence in managed[key]:
                changes.append(
                    Change(
                        "expire",
                        name,
                        key[1],
                        existing=silence,
                        why="no longer announced (cancelled or completed)",
                    )
                )
    return changes, skipped
