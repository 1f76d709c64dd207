"""Runs every probe on its own interval with jitter, honouring the vendor's Retry-After.

Spread: at start-up target i of n first runs ``i * min(50 ms, window / n)`` after
start, then every interval +-10% jitter, so evenly spread first runs stay spread. The
window grows with the number of targets so the first round fits the capacity
(``startup_window``): a handful of targets all start within a fraction of a second,
thousands are spread so that the first round plus the probes already back on their
interval never ask for more than ``max_concurrency`` requests in flight. The semaphore
caps requests in flight, as do the HTTP client's connection limits. A probe that starts
later than its jitter after it was due (``late``) means the exporter is over capacity.

One task keeps the schedule (a heap of due times, woken on a shared tick) and starts a
task per probe run: no task waits per target, which at thousands of targets was
megabytes of parked coroutines and a timer each.

Scrapes never trigger probes: they read the store. A probe is a sample, so there is
no retry loop inside one; a failure waits for the next interval (or Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable

from .config import DEFAULT_STARTUP_SPREAD_SECONDS
from .keyfiles import KeyFiles
from .probes import ProbeResult, ProbeTarget, prober_for
from .probes.clients import EXPECTED_LATENCY_SECONDS, ProbeClients
from .probes.text import vendor_text
from .redaction import redact
from .retry_after import backoff_seconds
from .state import Key, ResultStore

log = logging.getLogger(__name__)
JITTER_FRACTION = 0.1
# A probe's whole run (connect, headers, slow body) is cut off this long after
# the request timeout, so nothing can hang a target's schedule.
HARD_DEADLINE_SLACK = 2.0
# Start-up spacing between two targets' first runs, when the window allows it.
STARTUP_STEP_SECONDS = 0.05
# The schedule wakes on multiples of this (a quarter of the shortest jitter, +-1 s at a
# 10 s interval): probes due within a tick start in one wake-up, and on a small VM each
# wake-up from idle costs about 0.2 ms of CPU (0.1 s ticks were 0.05 ms per probe).
WAKE_TICK_SECONDS = 0.25
# The first round's share of the capacity, at least, when the probes back on their
# interval already take (or exceed) it all.
MIN_STARTUP_SHARE = 0.25

RunProbe = Callable[[ProbeTarget], Awaitable[ProbeResult]]


def next_due(finished_at: float, interval: float, rng: random.Random) -> float:
    """Next run: one interval +-10% later. During a Retry-After wait the target still
    wakes on its interval, to count the run it skips (saas_probe_skipped_total)."""
    jitter = interval * JITTER_FRACTION * (2 * rng.random() - 1)
    return finished_at + interval + jitter


def crash_result(err: BaseException, duration: float, finished_at: float) -> ProbeResult:
    """The failure a probe that raised records: the previous success never stays."""
    text = vendor_text(f"{type(err).__name__}: {err}", 300)
    return ProbeResult(
        success=False,
        duration_seconds=duration,
        finished_at=finished_at,
        failure_reason="invalid_response",
        error=redact(f"the probe could not read the answer ({text})"),
    )


def capacity_per_second(max_concurrency: int) -> float:
    """Probes a second the semaphore sustains at the expected vendor latency."""
    return max_concurrency / EXPECTED_LATENCY_SECONDS


def steady_rate(targets: Iterable[ProbeTarget]) -> float:
    """Probes a second once every target runs on its interval."""
    return sum(1.0 / t.interval_seconds for t in targets)


def startup_window(targets: list[ProbeTarget], max_concurrency: int, minimum: float) -> float:
    """Seconds the first round is spread over: at least ``minimum`` (global.startup_spread),
    longer when the targets' first runs, on top of the probes already back on their
    interval, would need more than the capacity."""
    capacity = capacity_per_second(max_concurrency)
    spare = max(capacity - steady_rate(targets), capacity * MIN_STARTUP_SHARE)
    return max(minimum, len(targets) / spare)


def startup_offsets(keys: list[Key], window: float) -> dict[Key, float]:
    """Seconds after start-up each target first runs: evenly spaced, never together."""
    if not keys:
        return {}
    spacing = min(STARTUP_STEP_SECONDS, window / len(keys))
    return {key: i * spacing for i, key in enumerate(keys)}


class Scheduler:
    def __init__(
        self,
        targets: Iterable[ProbeTarget],
        store: ResultStore,
        run_probe: RunProbe,
        max_concurrency: int,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        startup_spread: float = DEFAULT_STARTUP_SPREAD_SECONDS,
        keys: KeyFiles | None = None,
    ):
        self.targets = {t.key: t for t in targets}
        self.store = store
        self.run_probe = run_probe
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_concurrency = max_concurrency
        self.semaphore = asyncio.Semaphore(max_concurrency)
        self.started_at = start = clock()
        self.startup_window = startup_window(
            list(self.targets.values()), max_concurrency, startup_spread
        )
        offsets = startup_offsets(list(self.targets), self.startup_window)
        self.due: dict[Key, float] = {key: start + offsets[key] for key in self.targets}
        # (due, key) for every value ever given to self.due; an entry whose value is no
        # longer the target's due time (run early, removed) is dropped when it comes up.
        self._heap: list[tuple[float, Key]] = [(due, key) for key, due in self.due.items()]
        heapq.heapify(self._heap)
        self._wake: asyncio.Event | None = None
        self._next_wake = math.inf
        self._running: dict[Key, asyncio.Task] = {}
        # Scheduled probes run, and those that started later than their jitter.
        self.scheduled_runs = 0
        self.late_runs = 0
        if steady_rate(self.targets.values()) > capacity_per_second(max_concurrency):
            needed = steady_rate(self.targets.values()) * EXPECTED_LATENCY_SECONDS
            log.warning(
                "more probes than global.max_concurrency sustains: probes will start late",
                extra={
                    "fields": {
                        "probes_per_second": round(steady_rate(self.targets.values()), 1),
                        "max_concurrency": max_concurrency,
                        "needed": int(needed) + 1,
                    }
                },
            )
        self.not_before: dict[Key, float] = {key: 0.0 for key in self.targets}
        self.keys = keys

    def set_targets(self, targets: Iterable[ProbeTarget], startup_spread: float) -> None:
        """A reload (call on the scheduler's loop): kept targets keep their schedule, so a
        reload never causes a burst of vendor calls; added ones are staggered from now as
        at start-up; removed ones stop."""
        new = {t.key: t for t in targets}
        for key in set(self.targets) - set(new):
            running = self._running.pop(key, None)
            if running is not None:
                running.cancel()
            del self.due[key], self.not_before[key]
        added = [key for key in new if key not in self.targets]
        self.targets = new
        start = self.clock()
        window = startup_window([new[k] for k in added], self.max_concurrency, startup_spread)
        for key, offset in startup_offsets(added, window).items():
            self.not_before[key] = 0.0
            self._set_due(key, start + offset)

    def _set_due(self, key: Key, when: float) -> None:
        self.due[key] = when
        heapq.heappush(self._heap, (when, key))
        if self._wake is not None and when < self._next_wake:
            self._wake.set()  # earlier than the schedule's sleep: it recomputes

    async def run_target(self, key: Key, due: float | None = None) -> ProbeResult | None:
        """Run one target if it may run now; returns the result, None when skipped.
        ``due``: when its schedule wanted it (a scheduled run), to tell whether it is late."""
        target = self.targets[key]
        if self.keys is not None:
            target = self.keys.current(target)  # a rotated key file: the new key
        now = self.clock()
        if now < self.not_before[key]:
            self.store.record_skip(key)
            self._set_due(
                key, min(self.not_before[key], next_due(now, target.interval_seconds, self.rng))
            )
            return None
        async with self.semaphore:
            if due is not None:
                self.scheduled_runs += 1
                if self.clock() - due > JITTER_FRACTION * target.interval_seconds:
                    self.late_runs += 1
            result = await self._guarded(target)
        self.store.record(key, result)
        if result.failure_reason == "throttled" and result.retry_after_seconds is not None:
            self.not_before[key] = result.finished_at + backoff_seconds(result.retry_after_seconds)
        self._set_due(key, next_due(result.finished_at, target.interval_seconds, self.rng))
        if not result.success:
            log.info(
                "probe failed",
                extra={
                    "fields": {
                        "vendor": key[0],
                        "account": key[1],
                        "probe": key[2],
                        "reason": result.failure_reason,
                        "status": result.http_status,
                        "error": result.error,
                    }
                },
            )
        return result

    async def _guarded(self, target: ProbeTarget) -> ProbeResult:
        deadline = target.vendor.timeout_seconds + HARD_DEADLINE_SLACK
        start = time.perf_counter()
        try:
            # asyncio.timeout, not wait_for: in 3.11 wait_for runs the probe in a task of
            # its own, a second task per probe.
            async with asyncio.timeout(deadline):
                return await self.run_probe(target)
        except TimeoutError:
            return ProbeResult(
                success=False,
                duration_seconds=time.perf_counter() - start,
                finished_at=self.clock(),
                failure_reason="timeout",
                error=f"no complete response within {deadline:g}s",
            )
        except Exception as err:  # the last line of defence: a failure, never a crash
            log.error(
                "probe raised instead of failing",
                exc_info=True,
                extra={"fields": {"target": "/".join(target.key)}},
            )
            return crash_result(err, time.perf_counter() - start, self.clock())

    async def run_all_once(self) -> None:
        """Probe every target now (start-up, tests, preflight)."""
        await asyncio.gather(*(self.run_target(key) for key in self.targets))

    async def _run_scheduled(self, key: Key, due: float) -> None:
        try:
            await self.run_target(key, due)
        except Exception as err:  # a bug outside the prober must not stop the others
            log.exception("probe run crashed", extra={"fields": {"target": "/".join(key)}})
            now = self.clock()
            with contextlib.suppress(Exception):
                self.store.record(key, crash_result(err, 0.0, now))
            if key in self.targets:
                self._set_due(key, now + self.targets[key].interval_seconds)
        finally:
            if self._running.get(key) is asyncio.current_task():
                del self._running[key]

    async def _wait(self, delay: float | None) -> None:
        """Until ``delay`` passes (None: no limit) or the wake event is set (an earlier
        due time, stop)."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            # asyncio.timeout, not wait_for: no task per wait.
            async with asyncio.timeout(delay):
                await self._wake.wait()

    async def run_forever(self, stop: asyncio.Event) -> None:
        self._wake = wake = asyncio.Event()

        async def wake_on_stop() -> None:
            await stop.wait()
            wake.set()

        watcher = asyncio.create_task(wake_on_stop())
        heap = self._heap
        try:
            while not stop.is_set():
                wake.clear()
                if not heap:
                    self._next_wake = math.inf
                    await self._wait(None)
                    continue
                # Woken on a shared tick: targets due within one tick start in one pass
                # of the event loop, not one wake-up (and epoll call) each.
                head = heap[0][0]
                tick = max(head, math.ceil(head / WAKE_TICK_SECONDS) * WAKE_TICK_SECONDS)
                delay = tick - self.clock()
                if delay > 0:
                    self._next_wake = tick
                    await self._wait(delay)
                    if wake.is_set():
                        continue  # something is due earlier, or stop: look again
                while heap and heap[0][0] <= tick:
                    due, key = heapq.heappop(heap)
                    if self.due.get(key) != due or key in self._running:
                        continue  # superseded (run early, removed) or still running
                    self._running[key] = asyncio.create_task(self._run_scheduled(key, due))
        finally:
            watcher.cancel()
            self._wake = None
            await asyncio.gather(*self._running.values(), return_exceptions=True)


def make_run_probe(clients: ProbeClients) -> RunProbe:
    async def run(target: ProbeTarget) -> ProbeResult:
        return await prober_for(target)(target, clients.for_target(target))

    return run
