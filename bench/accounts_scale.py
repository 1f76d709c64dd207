"""Many accounts in one exporter: RSS, CPU per probe round and /metrics render time at 1,
100 and 1,000 Klaviyo accounts (two probes each, plus the status page) against the
simulator. Prints a table; asserts nothing.

Each size runs in its own process (RSS is per process and never shrinks), against a
simulator in yet another process, so the CPU figures are the exporter's alone.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

import httpx
from saas_tools.stack.processes import free_port

from saas_exporter.config import load_config_data
from saas_exporter.exposition import IncrementalExposition
from saas_exporter.runtime import ExporterRuntime

SIZES = (1, 100, 1000)
ROUNDS = 3
RENDERS = 5


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def config_for(sim_url: str, accounts: int):
    env = {f"K{i}": f"pk_sim_A{i:05d}" for i in range(accounts)}
    data = {
        "global": {"max_concurrency": 32},
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": sim_url,
                "statuspage_url": f"{sim_url}/status/klaviyo",
                "timeout": "5s",
                "intervals": {"accounts": "1h", "profiles": "1h", "statuspage": "1h"},
                "accounts": [
                    {
                        "name": f"acct{i:05d}",
                        "api_key_env": f"K{i}",
                        "expected_account_id": f"A{i:05d}",
                    }
                    for i in range(accounts)
                ],
            }
        ],
    }
    return load_config_data(data, env)


def measure(accounts: int, sim_url: str) -> str:
    runtime = ExporterRuntime(config_for(sim_url, accounts), ("127.0.0.1", 0))
    runtime.start()
    started = time.perf_counter()
    runtime.store.wait_all_probed(120)
    first_round = time.perf_counter() - started
    cpu, wall = [], []
    for _ in range(ROUNDS):
        c0, w0 = time.process_time(), time.perf_counter()
        runtime.probe_all_now(300)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    key = runtime.targets[0].key
    cold, renders, om_renders, gzip_renders = [], [], [], []
    for _ in range(RENDERS):
        fresh = IncrementalExposition(runtime.config, runtime.store)  # every target renders
        r0 = time.perf_counter()
        fresh.render()
        cold.append((time.perf_counter() - r0) * 1000)
        runtime.store.record_skip(key)  # one probe finished: one target re-renders
        r0 = time.perf_counter()
        body = runtime.renderer.render()
        renders.append((time.perf_counter() - r0) * 1000)
        runtime.store.record_skip(key)
        r0 = time.perf_counter()
        runtime.renderer.render("openmetrics")
        om_renders.append((time.perf_counter() - r0) * 1000)
        r0 = time.perf_counter()
        gzipped = runtime.renderer.render_gzip("openmetrics")
        gzip_renders.append((time.perf_counter() - r0) * 1000)
    with httpx.Client() as client:
        scrapes = []
        for _ in range(20):
            s0 = time.perf_counter()
            client.get(f"http://{runtime.address}/metrics").raise_for_status()
            scrapes.append((time.perf_counter() - s0) * 1000)
    rss = rss_mib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    targets = len(runtime.targets)
    runtime.stop()
    round_cpu = statistics.median(cpu)
    return (
        f"| {accounts} | {targets} | {first_round:.2f} s | {rss:.0f} MiB (peak {peak:.0f}) "
        f"| {round_cpu * 1000:.0f} ms ({round_cpu / targets * 1e3:.2f} ms/probe) "
        f"| {statistics.median(wall):.2f} s | {statistics.median(cold):.1f} ms "
        f"| {statistics.median(renders):.1f} ms | {statistics.median(om_renders):.1f} ms "
        f"| {statistics.median(gzip_renders):.1f} ms | {statistics.median(scrapes):.1f} ms "
        f"| {series} | {len(body) / 1024:.0f} KiB | {len(gzipped) / 1024:.0f} KiB |"
    )


def main() -> None:
    if len(sys.argv) == 3:  # child: one size
        print(measure(int(sys.argv[1]), sys.argv[2]), flush=True)
        return
    port = free_port()
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            "simulate",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    sim_url = f"http://127.0.0.1:{port}"
    try:
        sim.stdout.readline()  # "simulator on ..." once it listens
        print(
            "| accounts | targets | first round (start-up spread) | RSS | CPU per probe round "
            "| round wall time | /metrics render, every target changed | render after one "
            "probe | same, OpenMetrics | gzip of that page | scrape (cached, HTTP) "
            "| series | exposition | gzipped |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for size in SIZES:
            subprocess.run(
                [sys.executable, __file__, str(size), sim_url], check=True, env=os.environ
            )
    finally:
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
