"""The scale table: 1, 1,000 and 10,000 Klaviyo accounts (10,000 over 4 shard processes),
against the fast fake vendor (saas_tools.scale.fast_vendor, each answer LATENCY after its
request). Prints figures; asserts nothing. `make bench-scale` runs it.

Per shard process (each its own process: RSS is per process and never shrinks):
- first round: start to /-/ready (every owned target probed once), and the window the
  scheduler spread it over;
- CPU per probe: the process's CPU over STEADY seconds of normal running (default
  intervals: profiles every 30 s, identity every 10 min), divided by the probes started;
  late: probes that started past their jitter;
- the floor: a bare asyncio client (saas_tools.scale.bare_client) doing the same GETs plus
  JSON parse at the same rate, in the same process, right after, woken on the scheduler's
  tick as the probes are (and, in brackets, each request sent on its own); the ratio of
  the probe's CPU to the first;
- scrapes with every target changed: every target probed once more (probe_all_now), then
  /metrics as Prometheus asks for it (OpenMetrics, gzip), REPEAT times: median latency
  and bytes as sent;
- RSS steady (VmRSS) and peak (VmHWM).
Then the shard check: from the shards' own reports, which shard ran each account's
identity probe in the first round (exactly one, none twice, none never), and from the
fake vendor's counts, how many of those calls arrived. At 1,000 accounts, a breakdown of
a probe's CPU: the same run with the network replaced by in-process answers
(saas_tools.scale.in_process) shows what the HTTP transport costs.

Run: python bench/scale.py [--sizes 1,1000,10000] [--steady 20] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from saas_tools.scale.bare_client import BareClient
from saas_tools.scale.fleet import (
    ACCOUNTS_PATH,
    account_id,
    fleet_config,
    key_env,
    start_fake_vendor,
)
from saas_tools.scale.in_process import InProcessVendor

from saas_exporter.config import load_config_data
from saas_exporter.memory import limit_malloc_arenas
from saas_exporter.probes.http import request_url
from saas_exporter.probes.klaviyo import PROFILES_PARAMS, endpoint_url, request_headers
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.scheduler import WAKE_TICK_SECONDS
from saas_exporter.sharding import Shard

REPEAT = 5
# Prometheus's own Accept header (it asks for OpenMetrics first) and gzip.
SCRAPE_HEADERS = {
    "accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4",
    "accept-encoding": "gzip",
}
# Scheduler capacity for the bench's sizes: 128 requests in flight (256 probes/s at the
# 0.5 s the sizing assumes), so the first round of 2,500 accounts a shard fits in ~30 s.
MAX_CONCURRENCY = 128


def cpu_seconds() -> float:
    return time.process_time()  # the process's user + system CPU, finely resolved


def memory() -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(rest.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def bare_floor(
    vendor: str, runtime: ExporterRuntime, rate: float, seconds: float, tick: float
) -> float:
    """CPU seconds per request of the bare client: the same GETs at ``rate``, each sent
    on its own (``tick`` 0) or, as the scheduler wakes its probes, on a ``tick`` grid."""
    targets = [t for t in runtime.targets if t.probe != "statuspage"]
    count = max(20, int(rate * seconds))

    async def run() -> float:
        client = BareClient(vendor, 32)
        tasks = []
        start_cpu, start = cpu_seconds(), time.perf_counter()
        for i in range(count):
            target = targets[i % len(targets)]
            params = tuple(PROFILES_PARAMS.items()) if target.probe == "profiles" else ()
            path = request_url(endpoint_url(target), params).raw_path.decode()
            offset = i / rate
            if tick:
                offset = math.ceil(offset / tick) * tick
            delay = start + offset - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(client.get_json(path, request_headers(target))))
        await asyncio.gather(*tasks)
        used = cpu_seconds() - start_cpu
        await client.aclose()
        return used / count

    return asyncio.run(run())


def probed_accounts(runtime: ExporterRuntime) -> list[str]:
    """The account ids whose identity probe this shard ran (fleet names acct<N>, ids A<N>)."""
    return [
        "A" + target.account.name.removeprefix("acct")
        for target in runtime.targets
        if target.probe == "accounts"
        and target.account is not None
        and runtime.store.get(target.key).last is not None
    ]


def child(args: argparse.Namespace) -> None:
    """One shard process: measure, printing one JSON line; waits for 'go' on stdin after
    its first round, so the parent can check the vendor's counts across shards."""
    limit_malloc_arenas()  # as the exporter's command does at start
    env = key_env(args.accounts)
    global_ = {"max_concurrency": MAX_CONCURRENCY, "series_profile": args.profile}
    data = fleet_config(args.vendor, args.accounts, intervals={}, global_=global_)
    config = load_config_data(data, env)
    shard = Shard(args.index, args.shards)
    in_process = InProcessVendor(args.latency) if args.network == "in-process" else None
    runtime = ExporterRuntime(
        config,
        ("127.0.0.1", 0),
        shard=shard,
        run_probe=in_process.run_probe() if in_process else None,
    )
    start = time.perf_counter()
    runtime.start()
    assert runtime.store.wait_all_probed(600), "first round not done in 10 min"
    first_round = time.perf_counter() - start
    window = runtime.schedule_status().startup_window_seconds
    print(json.dumps({"first_round_done": probed_accounts(runtime)}), flush=True)
    sys.stdin.readline()
    before = runtime.schedule_status()
    cpu0 = cpu_seconds()
    time.sleep(args.steady)  # normal running: the scheduler's own pace
    cpu = cpu_seconds() - cpu0
    after = runtime.schedule_status()
    probes = after.scheduled_runs - before.scheduled_runs
    late = after.late_runs - before.late_runs
    scrapes, sizes = [], []
    for _ in range(REPEAT):
        runtime.probe_all_now(600)  # every target changed since the last scrape
        # A new connection each time: a round of thousands of probes on a busy machine
        # can outlast the server's keep-alive idle timeout.
        with httpx.Client(headers=SCRAPE_HEADERS, timeout=60) as client:
            t0 = time.perf_counter()
            with client.stream("GET", f"{runtime.url}/metrics") as response:
                sent = b"".join(response.iter_raw())
            scrapes.append(time.perf_counter() - t0)
        sizes.append(len(sent))
    raw = gzip.decompress(sent)
    series = sum(1 for line in raw.splitlines() if line and not line.startswith(b"#"))
    rss, peak = memory()
    runtime.stop()
    if in_process:
        in_process.close()
    rate = probes / args.steady
    floor = bare_floor(args.vendor, runtime, max(rate, 5.0), 10.0, WAKE_TICK_SECONDS)
    floor_each = bare_floor(args.vendor, runtime, max(rate, 5.0), 10.0, 0.0)
    print(
        json.dumps(
            {
                "targets": len(runtime.targets),
                "first_round": first_round,
                "window": window,
                "cpu_per_probe": cpu / probes if probes else float("nan"),
                "cpu_per_second": cpu / args.steady,
                "probes": probes,
                "late": late,
                "floor": floor,
                "floor_each": floor_each,
                "scrape_p50": statistics.median(scrapes),
                "sent": statistics.median(sizes),
                "raw": len(raw),
                "series": series,
                "rss": rss,
                "peak": peak,
            }
        ),
        flush=True,
    )


def run_size(
    accounts: int, shards: int, profile: str, args: argparse.Namespace, network: str = "loopback"
) -> list[dict]:
    vendor = start_fake_vendor(args.latency)
    procs = []
    try:
        for index in range(shards):
            argv = [sys.executable, __file__, "--child", "--accounts", str(accounts)]
            argv += ["--shards", str(shards), "--index", str(index), "--vendor", vendor.url]
            argv += ["--profile", profile, "--steady", str(args.steady)]
            argv += ["--latency", str(args.latency), "--network", network]
            procs.append(
                subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, **key_env(accounts)},
                )
            )
        owners: Counter[str] = Counter()
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("{"), f"a shard failed: {line!r}"
            owners.update(json.loads(line)["first_round_done"])
        counts = vendor.requests()
        ids = [account_id(i) for i in range(accounts)]
        reached = [counts.get((ACCOUNTS_PATH, a), 0) for a in ids]
        check = {
            # From the shards: which shard ran each account's identity probe.
            "once": sum(1 for a in ids if owners[a] == 1),
            "twice_or_more": sum(1 for a in ids if owners[a] > 1),
            "never": sum(1 for a in ids if owners[a] == 0),
            # From the fake vendor: the identity calls that arrived.
            "reached_once": sum(1 for n in reached if n == 1),
            "reached_more": sum(1 for n in reached if n > 1),
        }
        results = []
        for proc in procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdout is not None
            results.append({**json.loads(proc.stdout.readline()), "check": check})
            proc.wait(60)
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        vendor.stop()


def row(accounts: int, shards: int, profile: str, results: list[dict]) -> str:
    def spread(key: str, fmt: str, scale: float = 1.0) -> str:
        values = [r[key] * scale for r in results]
        if len(values) == 1:
            return format(values[0], fmt)
        return f"{format(min(values), fmt)}-{format(max(values), fmt)}"

    per_probe = [r["cpu_per_probe"] for r in results]
    floor = [r["floor"] for r in results]
    ratio = statistics.median(p / f for p, f in zip(per_probe, floor, strict=True))
    late = sum(r["late"] for r in results) / max(1, sum(r["probes"] for r in results))
    check = results[0]["check"]
    per_account = statistics.median(
        r["series"] / max(1, (r["targets"] - 1) / 2) for r in results
    )  # two probes an account (the status page aside)
    return (
        f"| {accounts:,} | {shards} | {profile} | {spread('targets', '.0f')} "
        f"| {spread('first_round', '.0f')} s ({spread('window', '.0f')} s window) "
        f"| {spread('rss', '.0f')} / {spread('peak', '.0f')} MiB "
        f"| {spread('cpu_per_probe', '.2f', 1000)} ms "
        f"({spread('cpu_per_second', '.0f', 1000)} ms/s) "
        f"| {spread('floor', '.3f', 1000)} ms ({spread('floor_each', '.3f', 1000)} ms) "
        f"| {ratio:.1f}x | {late:.1%} "
        f"| {spread('sent', '.0f', 1 / 1024)} KiB ({spread('raw', '.0f', 1 / 1024)} KiB raw) "
        f"| {spread('scrape_p50', '.0f', 1000)} ms | {per_account:.0f} "
        f"| {check['once']:,} once, {check['twice_or_more']} twice, {check['never']} never "
        f"({check['reached_once']:,} reached the vendor once, {check['reached_more']} more) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, default=1)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--vendor", default="")
    parser.add_argument("--profile", default="compact")
    parser.add_argument("--sizes", default="1,1000,10000", help="accounts per row")
    parser.add_argument(
        "--steady", type=float, default=60.0, help="seconds of steady running (>= 30: a round)"
    )
    parser.add_argument("--latency", type=float, default=0.1, help="the fake vendor's latency")
    parser.add_argument("--network", default="loopback", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    load = os.getloadavg()[0]
    print(
        f"Fake vendor latency {args.latency:g} s; steady window {args.steady:g} s; "
        f"load average at start {load:.1f} on {os.cpu_count()} cores (other processes "
        "share them: CPU figures rise with contention).\n"
    )
    print(
        "| accounts | shards | profile | targets per shard | first round (start-up window) "
        "| RSS steady / peak | CPU per probe (process CPU) "
        "| bare client on the scheduler's tick (each request alone) | ratio | late "
        "| /metrics as sent | scrape p50, every target changed | series per account "
        "| identity calls across shards |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    at_1000 = None
    for size in [int(s) for s in args.sizes.split(",")]:
        shards = 4 if size >= 10_000 else 1
        profiles = ("compact", "full") if size == 1000 else ("compact",)
        for profile in profiles:
            results = run_size(size, shards, profile, args)
            print(row(size, shards, profile, results), flush=True)
            if size == 1000 and profile == "compact":
                at_1000 = results[0]
    if at_1000 is not None:
        print_breakdown(at_1000, run_size(1000, 1, "compact", args, "in-process")[0])
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


def print_breakdown(loopback: dict, in_process: dict) -> None:
    """Where a probe's CPU goes at 1,000 accounts: the exporter, the same with the network
    replaced by in-process answers (no sockets, connection pool or h11), and the bare client."""
    full, local = loopback["cpu_per_probe"] * 1000, in_process["cpu_per_probe"] * 1000
    print("\n| CPU per probe, 1,000 accounts, compact | ms |\n|---|---|")
    print(f"| the exporter against the fake vendor on loopback | {full:.2f} |")
    print(
        "| the exporter with in-process answers after the same latency (httpx MockTransport: "
        f"probes, scheduler, store, httpx's client layers) | {local:.2f} |"
    )
    print(f"| so the HTTP transport (connection pool, h11, sockets) | {full - local:.2f} |")
    print(
        "| a bare asyncio client, same GETs and pace, on the scheduler's tick "
        f"| {loopback['floor'] * 1000:.2f} |"
    )
    print(
        "| a bare asyncio client, each request sent on its own "
        f"| {loopback['floor_each'] * 1000:.2f} |"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
