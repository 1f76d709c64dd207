"""Latest probe results and the counters built from them; scrapes read, probes write."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .probes.result import AccountIdentity, ProbeResult, StatusPageSnapshot
from .probes.target import ProbeTarget
from .ratelimit_headers import RateLimitInfo

# Resolve the 5 s latency threshold on both sides, and long timeouts.
LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0, 15.0, 30.0)

Key = tuple[str, str, str]


@dataclass(frozen=True)
class TargetState:
    target: ProbeTarget
    last: ProbeResult | None = None
    runs: int = 0
    skipped: int = 0
    failures: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    bucket_counts: tuple[int, ...] = (0,) * (len(LATENCY_BUCKETS) + 1)
    latency_sum: float = 0.0
    last_success_at: float | None = None
    ratelimit: RateLimitInfo | None = None
    invalid_headers: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    identity: AccountIdentity | None = None
    # When a probe last confirmed `identity` (it may be older than the latest result).
    identity_at: float | None = None
    statuspage: StatusPageSnapshot | None = None
    # Announced maintenances past maintenances.max_per_vendor, summed over probe runs.
    maintenances_dropped: int = 0
    # Status-page items dropped past the limits, by item ("component", "incident").
    dropped: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


def _merge_ratelimit(old: RateLimitInfo | None, result: ProbeResult) -> RateLimitInfo | None:
    new = result.ratelimit
    if result.http_status == 429 and (new is None or new.remaining is None):
        # A 429 carries no rate-limit headers: the budget is spent until Retry-After.
        base = new or old or RateLimitInfo()
        return replace(
            base,
            limits=base.limits or (old.limits if old else {}),
            remaining=0.0,
            reset_seconds=result.retry_after_seconds,
        )
    if new is None:
        return old
    if not new.limits and old is not None:
        return replace(new, limits=old.limits)
    return new


def _merge_page(
    old: StatusPageSnapshot | None, new: StatusPageSnapshot | None
) -> StatusPageSnapshot | None:
    """The latest page; when its maintenance feed could not be read, the maintenances
    last read stay (marked with the error) rather than vanish for one run."""
    if new is None:
        return old
    feed = new.maintenances
    if feed is not None and not feed.ok and old is not None and old.maintenances is not None:
        kept = replace(feed, maintenances=old.maintenances.maintenances)
        return replace(new, maintenances=kept)
    return new


def _dropped(page: StatusPageSnapshot | None) -> int:
    feed = page.maintenances if page else None
    return feed.dropped if feed is not None and feed.ok else 0


def _bump(counts: MappingProxyType, keys: Iterable[str]) -> MappingProxyType:
    if not keys:
        return counts  # unchanged: the same mapping (the exposition reuses its lines)
    updated = dict(counts)
    for key in keys:
        updated[key] = updated.get(key, 0) + 1
    return MappingProxyType(updated)


def _add_dropped(counts: MappingProxyType, page: StatusPageSnapshot | None) -> MappingProxyType:
    if page is None or not (page.dropped_components or page.dropped_incidents):
        return counts
    updated = dict(counts)
    for item, n in (("component", page.dropped_components), ("incident", page.dropped_incidents)):
        updated[item] = updated.get(item, 0) + n
    return MappingProxyType(updated)


class ResultStore:
    """Thread-safe; every write bumps ``version`` so renderers can cache."""

    def __init__(self, targets: Iterable[ProbeTarget]):
        self._lock = threading.Condition()
        self._states: dict[Key, TargetState] = {t.key: TargetState(t) for t in targets}
        self._version = 0
        self._listeners: list[Callable[[Key, TargetState], None]] = []

    def subscribe(self, listener: Callable[[Key, TargetState], None]) -> None:
        """Call ``listener(key, state)`` after each write, in the writer's thread."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Key, TargetState], None]) -> None:
        self._listeners.remove(listener)

    def _changed(self, key: Key, state: TargetState) -> None:
        self._states[key] = state
        self._version += 1
        for listener in self._listeners:
            listener(key, state)

    @property
    def version(self) -> int:
        return self._version

    def set_targets(self, targets: Iterable[ProbeTarget]) -> None:
        """After a reload: a kept target keeps its results and counters (with its new
        definition), an added one starts empty, a removed one leaves."""
        with self._lock:
            states = {}
            for target in targets:
                old = self._states.get(target.key)
                states[target.key] = replace(old, target=target) if old else TargetState(target)
            self._states = states
            self._version += 1
            self._lock.notify_all()

    def record(self, key: Key, result: ProbeResult) -> None:
        with self._lock:
            if key not in self._states:
                return  # removed by a reload while its probe was running
            state = self._states[key]
            counts = list(state.bucket_counts)
            counts[bisect.bisect_left(LATENCY_BUCKETS, result.duration_seconds)] += 1
            self._changed(
                key,
                replace(
                    state,
                    last=result,
                    runs=state.runs + 1,
                    failures=_bump(
                        state.failures, [result.failure_reason] if result.failure_reason else []
                    ),
                    bucket_counts=tuple(counts),
                    latency_sum=state.latency_sum + result.duration_seconds,
                    last_success_at=result.finished_at if result.success else state.last_success_at,
                    ratelimit=_merge_ratelimit(state.ratelimit, result),
                    invalid_headers=_bump(state.invalid_headers, result.invalid_headers),
                    identity=result.account or state.identity,
                    identity_at=result.finished_at if result.account else state.identity_at,
                    statuspage=_merge_page(state.statuspage, result.statuspage),
                    maintenances_dropped=state.maintenances_dropped + _dropped(result.statuspage),
                    dropped=_add_dropped(state.dropped, result.statuspage),
                ),
            )
            self._lock.notify_all()

    def record_skip(self, key: Key) -> None:
        with self._lock:
            if key not in self._states:
                return
            state = self._states[key]
            self._changed(key, replace(state, skipped=state.skipped + 1))

    def states(self) -> dict[Key, TargetState]:
        with self._lock:
            return dict(self._states)

    def get(self, key: Key) -> TargetState:
        with self._lock:
            return self._states[key]

    def all_probed(self) -> bool:
        with self._lock:
            return self._all_probed()

    def probed_count(self) -> tuple[int, int]:
        """(targets with a result, targets)."""
        with self._lock:
            return sum(1 for s in self._states.values() if s.last is not None), len(self._states)

    def _all_probed(self) -> bool:
        return all(s.last is not None for s in self._states.values())

    def wait_all_probed(self, timeout: float) -> bool:
        """Block until every target has a result (an event, not a sleep)."""
        with self._lock:
            return self._lock.wait_for(self._all_probed, timeout)

    def wait_for_runs(self, key: Key, runs: int, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._states[key].runs >= runs, timeout)
