"""Scheduling with a fake clock: intervals, jitter, Retry-After, skips, hard deadlines."""

import asyncio
import itertools
import random

import pytest

from saas_exporter.config import load_config_data
from saas_exporter.probes import ProbeResult, targets_for
from saas_exporter.scheduler import Scheduler, next_due, startup_offsets, startup_window
from saas_exporter.state import ResultStore
from tests.conftest import KEY_ENV, klaviyo_config, klaviyo_fleet

PROF = ("klaviyo", "main", "profiles")


class FakeClock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def make(results, clock, timeout="2s"):
    config = klaviyo_config("http://vendor.test", "http://status.test", vendor={"timeout": timeout})
    targets = targets_for(config)
    store = ResultStore(targets)
    calls = []

    async def run_probe(target):
        calls.append(target.key)
        outcome = results(target)
        if asyncio.iscoroutine(outcome):
            return await outcome
        return outcome

    scheduler = Scheduler(targets, store, run_probe, 4, clock, random.Random(7))
    return scheduler, store, calls


def ok(clock):
    return lambda target: ProbeResult(True, 0.1, clock(), 200)


def test_everything_runs_once_at_start():
    clock = FakeClock()
    scheduler, store, calls = make(ok(clock), clock)
    asyncio.run(scheduler.run_all_once())
    assert sorted(calls) == sorted(
        [("klaviyo", "", "statuspage"), ("klaviyo", "main", "accounts"), PROF]
    )
    assert store.all_probed()


def test_next_run_is_one_interval_plus_minus_ten_percent():
    rng = random.Random(1)
    dues = [next_due(1000.0, 30.0, rng) for _ in range(500)]
    assert min(dues) >= 1027.0 and max(dues) <= 1033.0
    assert max(dues) - min(dues) > 5.0  # spread, not a constant


def test_retry_after_blocks_the_endpoint_and_counts_skips():
    clock = FakeClock()
    throttled = ProbeResult(
        False, 0.05, clock.now, 429, failure_reason="throttled", retry_after_seconds=120
    )
    scheduler, store, calls = make(lambda t: throttled, clock)
    asyncio.run(scheduler.run_target(PROF))
    assert scheduler.not_before[PROF] == clock.now + 120
    clock.now += 60  # a run attempted before Retry-After passes is skipped
    assert asyncio.run(scheduler.run_target(PROF)) is None
    assert calls == [PROF]
    assert store.get(PROF).skipped == 1
    clock.now += 60
    asyncio.run(scheduler.run_target(PROF))
    assert calls == [PROF, PROF]


def test_every_interval_inside_a_retry_after_wait_counts_one_skip():
    # The README: saas_probe_skipped_total counts the runs the wait replaced. With a
    # 30 s (+-10%) interval and a 100 s Retry-After, the target wakes about every 30 s,
    # skips three times, and runs again once the 100 s have passed.
    clock = FakeClock()
    start = clock.now
    throttled = ProbeResult(
        False, 0.05, clock.now, 429, failure_reason="throttled", retry_after_seconds=100
    )
    scheduler, store, calls = make(lambda t: throttled, clock)
    asyncio.run(scheduler.run_target(PROF))
    wakes = []
    while len(calls) < 2:
        clock.now = scheduler.due[PROF]
        wakes.append(round(clock.now - start))
        asyncio.run(scheduler.run_target(PROF))
    assert store.get(PROF).skipped == 3
    assert wakes[-1] == 100  # the run itself: exactly when the wait ends
    assert all(27 <= b - a <= 33 for a, b in zip([0, *wakes[:2]], wakes[:3], strict=True))


def test_a_probe_that_raises_records_a_failure_over_the_previous_success():
    clock = FakeClock()
    outcomes = iter([ProbeResult(True, 0.1, clock.now, 200)])

    def results(target):
        for outcome in outcomes:
            return outcome
        raise RecursionError("maximum recursion depth exceeded")

    scheduler, store, _ = make(results, clock)
    asyncio.run(scheduler.run_target(PROF))
    assert store.get(PROF).last.success
    result = asyncio.run(scheduler.run_target(PROF))
    assert (result.success, result.failure_reason) == (False, "invalid_response")
    assert result.error == (
        "the probe could not read the answer (RecursionError: maximum recursion depth exceeded)"
    )
    assert store.get(PROF).last is result
    assert store.get(PROF).failures["invalid_response"] == 1


def test_retry_after_is_capped_at_15_minutes():
    clock = FakeClock()
    scheduler, _, _ = make(
        lambda t: ProbeResult(
            False, 0.05, clock.now, 429, failure_reason="throttled", retry_after_seconds=86400
        ),
        clock,
    )
    asyncio.run(scheduler.run_target(PROF))
    assert scheduler.not_before[PROF] == clock.now + 900


def test_other_endpoints_keep_running_while_one_is_throttled():
    clock = FakeClock()

    def results(target):
        if target.probe == "profiles":
            return ProbeResult(
                False, 0.05, clock.now, 429, failure_reason="throttled", retry_after_seconds=300
            )
        return ProbeResult(True, 0.05, clock.now, 200)

    scheduler, _, _ = make(results, clock)
    asyncio.run(scheduler.run_all_once())
    assert scheduler.not_before[("klaviyo", "main", "accounts")] == 0.0


def test_no_retry_inside_a_probe_a_failure_waits_for_the_next_interval():
    clock = FakeClock()
    scheduler, _, calls = make(
        lambda t: ProbeResult(False, 0.05, clock.now, 500, failure_reason="server_error"), clock
    )
    asyncio.run(scheduler.run_target(PROF))
    assert calls == [PROF]
    assert 27.0 <= scheduler.due[PROF] - clock.now <= 33.0


def test_a_hung_probe_is_cut_at_the_hard_deadline():
    clock = FakeClock()

    async def hang():
        await asyncio.Event().wait()

    scheduler, store, _ = make(lambda t: hang(), clock, timeout="100ms")
    import saas_exporter.scheduler as sched

    original = sched.HARD_DEADLINE_SLACK
    sched.HARD_DEADLINE_SLACK = 0.01
    try:
        result = asyncio.run(scheduler.run_target(PROF))
    finally:
        sched.HARD_DEADLINE_SLACK = original
    assert (result.success, result.failure_reason) == (False, "timeout")
    assert result.error == "no complete response within 0.11s"
    assert store.get(PROF).failures["timeout"] == 1


async def start_until(scheduler, calls, count):
    """run_forever started; returns (its stop event, its task) once ``count`` probes ran."""
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_forever(stop))
    while len(calls) < count:
        await asyncio.sleep(0)
    return stop, task


def test_run_forever_stops_on_the_event():
    clock = FakeClock()
    scheduler, _store, calls = make(ok(clock), clock)

    async def go():
        stop, task = await start_until(scheduler, calls, 3)
        stop.set()
        await task

    asyncio.run(go())
    assert len(calls) == 3  # the fake clock never advances: nothing is due twice


def test_a_few_targets_start_within_a_fraction_of_a_second():
    clock = FakeClock()
    scheduler, _, _ = make(ok(clock), clock)
    offsets = sorted(due - clock.now for due in scheduler.due.values())
    assert offsets == pytest.approx([0.0, 0.05, 0.1])


def test_a_thousand_accounts_are_spread_evenly_over_the_startup_window():
    keys = [("klaviyo", f"acct{i:04d}", p) for i in range(1000) for p in ("accounts", "profiles")]
    offsets = startup_offsets(keys, 10.0)
    ordered = sorted(offsets.values())
    assert ordered[0] == 0.0 and ordered[-1] == pytest.approx(1999 * 0.005)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(ordered)}
    assert gaps == {0.005}  # never two at once
    assert startup_offsets([], 10.0) == {}


def test_requests_in_flight_never_exceed_max_concurrency():
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": "http://vendor.test",
                "statuspage_url": None,
                "accounts": [
                    {"name": f"a{i}", "api_key_env": "K", "expected_account_id": f"A{i}"}
                    for i in range(200)
                ],
            }
        ]
    }
    targets = targets_for(load_config_data(data, {"K": "pk_test_0123456789abcdef"}))
    clock = FakeClock()
    in_flight, peak = 0, 0

    async def run_probe(target):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)  # yield to the other probes
        in_flight -= 1
        return ProbeResult(True, 0.1, clock(), 200)

    store = ResultStore(targets)
    scheduler = Scheduler(targets, store, run_probe, 8, clock, random.Random(1))
    asyncio.run(scheduler.run_all_once())
    assert (len(targets), peak, store.all_probed()) == (400, 8, True)


def test_a_reload_keeps_kept_targets_schedules_and_staggers_added_ones():
    clock = FakeClock()
    scheduler, store, _ = make(ok(clock), clock)
    asyncio.run(scheduler.run_all_once())
    kept_due = dict(scheduler.due)
    two = klaviyo_config(
        "http://vendor.test",
        None,  # the status page goes
        vendor={
            "accounts": [
                {"name": "main", "api_key_env": KEY_ENV},
                {"name": "second", "api_key_env": KEY_ENV},
            ]
        },
    )
    targets = targets_for(two)
    clock.now += 100
    scheduler.set_targets(targets, startup_spread=10.0)
    store.set_targets(targets)
    assert set(scheduler.targets) == {t.key for t in targets}
    assert ("klaviyo", "", "statuspage") not in scheduler.due
    for key in (("klaviyo", "main", "accounts"), PROF):
        assert scheduler.due[key] == kept_due[key]  # no extra run because of the reload
        assert store.get(key).runs == 1  # counters continue
    added = [("klaviyo", "second", "accounts"), ("klaviyo", "second", "profiles")]
    assert [scheduler.due[k] for k in added] == [clock.now, clock.now + 0.05]
    assert [store.get(k).runs for k in added] == [0, 0]
    assert ("klaviyo", "", "statuspage") not in store.states()


def fleet_targets(accounts: int):
    return klaviyo_fleet(accounts, "http://vendor.test")


def test_the_startup_window_grows_with_the_targets_to_fit_the_capacity():
    # max_concurrency 32 at 0.5 s a request sustains 64 probes/s.
    assert startup_window(fleet_targets(10), 32, 10.0) == 10.0  # the configured minimum
    # 1,000 accounts and the status page: 2,001 first runs while 1000/30 + 1000/600 +
    # 1/60 = 35/s are back on their interval: the first round gets the spare 29/s.
    window = startup_window(fleet_targets(1000), 32, 10.0)
    assert window == pytest.approx(2001 / (64 - 1000 / 30 - 1000 / 600 - 1 / 60))
    # Over capacity (3,000 accounts need 105/s): a quarter of it.
    assert startup_window(fleet_targets(3000), 32, 10.0) == pytest.approx(6001 / 16)


def test_a_scheduled_probe_that_starts_after_its_jitter_is_late():
    clock = FakeClock()
    scheduler, _, _ = make(ok(clock), clock)
    interval = scheduler.targets[PROF].interval_seconds  # 30 s: late past 3 s
    asyncio.run(scheduler.run_target(PROF, due=clock.now - 2.9))
    assert (scheduler.scheduled_runs, scheduler.late_runs) == (1, 0)
    asyncio.run(scheduler.run_target(PROF, due=clock.now - 0.1 * interval - 0.5))
    assert (scheduler.scheduled_runs, scheduler.late_runs) == (2, 1)
    asyncio.run(scheduler.run_target(PROF))  # an explicit run (probe_all_now) has no due
    assert (scheduler.scheduled_runs, scheduler.late_runs) == (2, 1)


def test_one_task_keeps_the_schedule_and_a_target_added_later_runs_without_waiting():
    """No task waits per target: with nothing due, run_forever is one task; a target
    added by a reload wakes the schedule at once, though the next due run is far off."""
    clock = FakeClock()
    scheduler, _store, calls = make(ok(clock), clock)

    async def go():
        stop, task = await start_until(scheduler, calls, 3)
        while scheduler._running:
            await asyncio.sleep(0)
        scheduler_tasks = sorted(
            t.get_coro().__qualname__
            for t in asyncio.all_tasks()
            if t.get_coro().__qualname__.startswith("Scheduler.")
        )
        # The schedule and the watcher of the stop event; nothing per target.
        assert scheduler_tasks == [
            "Scheduler.run_forever",
            "Scheduler.run_forever.<locals>.wake_on_stop",
        ]
        two = klaviyo_config(
            "http://vendor.test",
            None,
            vendor={
                "accounts": [
                    {"name": "main", "api_key_env": KEY_ENV},
                    {"name": "second", "api_key_env": KEY_ENV},
                ]
            },
        )
        scheduler.set_targets(targets_for(two), startup_spread=10.0)
        while len(calls) < 4:
            await asyncio.sleep(0)
        stop.set()
        await task
        return calls[3:]

    assert asyncio.run(asyncio.wait_for(go(), 10)) == [("klaviyo", "second", "accounts")]


def test_a_target_run_early_is_not_run_again_at_its_old_time():
    clock = FakeClock()
    scheduler, _store, calls = make(ok(clock), clock)
    asyncio.run(scheduler.run_target(PROF))  # as probe_all_now does: the due time moves
    stale = [due for due, key in scheduler._heap if key == PROF]
    assert len(stale) == 2 and scheduler.due[PROF] == max(stale)

    async def go():
        stop, task = await start_until(scheduler, calls, 3)  # with the two others' first runs
        for _ in range(50):
            await asyncio.sleep(0)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(go(), 10))
    assert sorted(calls) == sorted(
        [PROF, ("klaviyo", "", "statuspage"), ("klaviyo", "main", "accounts")]
    )
