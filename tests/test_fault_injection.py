"""Fault injection: the exporter as a real process against a hostile vendor playing every
fault mode at once (one vendor per mode, each with an api and a status-page probe),
while /metrics is scraped throughout.

Asserted: each probe's exact failure reason (or success), no traceback in the log,
every scrape a 200, the process's peak RSS under 150 MB at default limits. The scrape
latency is printed and bounded generously (a figure, not a timing assertion);
`make soak` measures the modes one at a time, for longer."""

from __future__ import annotations

import time

import pytest
from saas_tools.hostile import MODES, HostileVendor
from saas_tools.hostile.harness import ExporterProcess, hostile_config, probe_states

RSS_BOUND_MIB = 150
SLOW_SCRAPE_BOUND_SECONDS = 2.0


def expected_states() -> dict[tuple[str, str, str], tuple[float, str | None]]:
    expected = {}
    for mode in MODES.values():
        vendor = mode.name.replace("_", "-")
        for key, reason in (
            ((vendor, "a0", "api"), mode.api_reason),
            ((vendor, "", "statuspage"), mode.page_reason),
        ):
            expected[key] = (1.0, None) if reason is None else (0.0, reason)
    return expected


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Scrapes until each probe has given its expected result (a probe slowed by a busy
    machine gets its next run), at most 90 s; each probe's state is the one that gave it,
    or its latest. Each probe on its own: with 50 probes sharing a busy machine, waiting
    for all of their latest results to be right at the same moment could take forever."""
    vendor = HostileVendor().start()
    config = hostile_config(vendor, modes=list(MODES), interval="3s", timeout="2s")
    exporter = ExporterProcess(config, tmp_path_factory.mktemp("hostile"))
    expected = expected_states()
    latencies, statuses, states, gave = [], [], {}, {}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status, seconds, text = exporter.scrape()
            statuses.append(status)
            latencies.append(seconds)
            if status == 200:
                states = probe_states(text)
                for key, state in states.items():
                    if state.runs >= 1 and (state.success, state.reason) == expected.get(key):
                        gave.setdefault(key, state)
                if gave.keys() == expected.keys():
                    break
            time.sleep(0.05)
        yield {**states, **gave}, latencies, statuses, exporter.peak_rss_mib(), exporter
    finally:
        exporter.stop()
        vendor.stop()


@pytest.mark.parametrize("mode", list(MODES))
def test_each_fault_mode_gives_its_reason(hostile_run, mode):
    states = hostile_run[0]
    vendor = mode.replace("_", "-")
    expected = MODES[mode]
    for probe, account, reason in (
        ("api", "a0", expected.api_reason),
        ("statuspage", "", expected.page_reason),
    ):
        state = states[(vendor, account, probe)]
        assert state.runs >= 1
        assert (state.success, state.reason) == (
            (1.0, None) if reason is None else (0.0, reason)
        ), f"{mode} ({expected.what}): {probe}"


def test_memory_scrapes_and_log_stay_sound(hostile_run):
    _states, latencies, statuses, peak, exporter = hostile_run
    ordered = sorted(latencies)
    print(
        f"\nall {len(MODES)} fault modes at once: peak RSS {peak:.1f} MiB; "
        f"{len(latencies)} scrapes, latency median {ordered[len(ordered) // 2] * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )
    assert set(statuses) == {200}
    assert peak < RSS_BOUND_MIB
    assert ordered[-1] < SLOW_SCRAPE_BOUND_SECONDS
    assert exporter.tracebacks() == 0, exporter.log_text()[-3000:]
