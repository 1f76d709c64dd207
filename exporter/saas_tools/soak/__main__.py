"""`python -m saas_tools.soak`: the exporter as a real process against the hostile vendor,
its fault mode flipped every few seconds through every mode, /metrics scraped all along,
optionally with idle connections held open against the exporter's server.

Reports per mode (peak RSS, scrape latency, non-200 scrapes) and overall: tracebacks in
the exporter's log, non-200 scrapes, and whether RSS stayed flat (the median RSS of the
last minute within +-10% of the median of the first minute after warm-up). Exit 0 when
all hold, 1 otherwise. `make soak` runs it for 10 minutes.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from saas_exporter.durations import parse_duration
from saas_tools.hostile import MODES, HostileVendor
from saas_tools.hostile.harness import ExporterProcess, hostile_config

RSS_BOUND_MIB = 150.0
FLATNESS = 0.10


@dataclass
class ModeFigures:
    mode: str
    windows: int = 0
    peak_mib: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failed_scrapes: int = 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m saas_tools.soak", description=__doc__)
    parser.add_argument("--duration", default="10m", help="how long (default: %(default)s)")
    parser.add_argument("--flip", default="10s", help="time per fault mode (default: %(default)s)")
    parser.add_argument(
        "--scrapes-per-second", type=float, default=5.0, help="(default: %(default)s)"
    )
    parser.add_argument(
        "--idle-connections",
        type=int,
        default=200,
        help="connections held open against the exporter, re-opened when it closes them "
        "(default: %(default)s; 0: none)",
    )
    parser.add_argument("--workdir", help="where the config and the exporter log go")
    return parser.parse_args(argv)


def hold_idle(address: tuple[str, int], sockets: list[socket.socket], want: int) -> None:
    """Keeps `want` idle connections open (the server may close idle ones: reopen)."""
    alive = []
    for sock in sockets:
        try:
            sock.setblocking(False)
            if sock.recv(1, socket.MSG_PEEK) == b"":
                sock.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            sock.close()
            continue
        alive.append(sock)
    while len(alive) < want:
        try:
            alive.append(socket.create_connection(address, timeout=1))
        except OSError:
            break
    sockets[:] = alive


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(args: argparse.Namespace) -> int:
    duration, flip = parse_duration(args.duration), parse_duration(args.flip)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="saas-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    vendor = HostileVendor().start()
    exporter = ExporterProcess(hostile_config(vendor), workdir)
    address = ("127.0.0.1", exporter.port)
    idle: list[socket.socket] = []
    figures = {name: ModeFigures(name) for name in MODES}
    rss: list[tuple[float, float]] = []
    scrapes = failed = 0
    start = time.monotonic()
    print(
        f"soak: {args.duration}, a fault mode every {args.flip} through {len(MODES)} modes, "
        f"{args.scrapes_per_second:g} scrapes/s, {args.idle_connections} idle connections; "
        f"log {exporter.log}",
        flush=True,
    )
    # A mode the exporter answers by backing off for 15 minutes is played last, once.
    cycled = [name for name, mode in MODES.items() if not mode.backs_off]
    last = [name for name, mode in MODES.items() if mode.backs_off]
    try:
        for mode in itertools.cycle(cycled):
            now = time.monotonic()
            if now - start >= duration:
                break
            if last and start + duration - now <= flip * len(last):
                mode = last.pop(0)
            vendor.set_mode(mode)
            exporter.reset_peak()
            mode_figures = figures[mode]
            mode_figures.windows += 1
            window_end = min(now + flip, start + duration)
            next_sample = now
            while time.monotonic() < window_end:
                hold_idle(address, idle, args.idle_connections)
                status, seconds, _ = exporter.scrape(timeout=10)
                scrapes += 1
                mode_figures.latencies.append(seconds)
                if status != 200:
                    failed += 1
                    mode_figures.failed_scrapes += 1
                if time.monotonic() >= next_sample:
                    rss.append((time.monotonic() - start, exporter.rss_mib()))
                    next_sample += 1.0
                time.sleep(max(0.0, 1 / args.scrapes_per_second - seconds))
            mode_figures.peak_mib = max(mode_figures.peak_mib, exporter.peak_rss_mib())
            print(
                f"  {mode:22} peak RSS {exporter.peak_rss_mib():6.1f} MiB, scrape p50 "
                f"{percentile(mode_figures.latencies, 0.5) * 1000:6.1f} ms, max "
                f"{max(mode_figures.latencies, default=0) * 1000:7.1f} ms",
                flush=True,
            )
    finally:
        for sock in idle:
            sock.close()
        exporter.stop()
        vendor.stop()
    return report(figures, rss, scrapes, failed, exporter.tracebacks(), duration)


def report(
    figures: dict[str, ModeFigures],
    rss: list[tuple[float, float]],
    scrapes: int,
    failed: int,
    tracebacks: int,
    duration: float,
) -> int:
    warmup = min(duration * 0.25, len(MODES) * 10.0)
    window = min(60.0, (duration - warmup) / 3)
    first = [m for t, m in rss if warmup <= t < warmup + window]
    last = [m for t, m in rss if t >= duration - window]
    baseline, final = statistics.median(first or [0]), statistics.median(last or [0])
    drift = (final - baseline) / baseline if baseline else 0.0
    peak = max((f.peak_mib for f in figures.values()), default=0.0)
    latencies = [s for f in figures.values() for s in f.latencies]
    print("\nmode                   windows  peak RSS MiB  scrape p50 ms  max ms  non-200")
    for f in figures.values():
        if f.windows:
            print(
                f"{f.mode:22} {f.windows:7}  {f.peak_mib:12.1f}  "
                f"{percentile(f.latencies, 0.5) * 1000:13.1f}  "
                f"{max(f.latencies, default=0) * 1000:6.0f}  {f.failed_scrapes:7}"
            )
    flat = abs(drift) <= FLATNESS
    print(
        f"\nscrapes {scrapes}, non-200 {failed}, latency p50 "
        f"{percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f}"
        f" ms, max {max(latencies, default=0) * 1000:.1f} ms\n"
        f"RSS after warm-up ({warmup:g} s): {baseline:.1f} MiB (median of {window:g} s), at the "
        f"end {final:.1f} MiB: {drift:+.1%} ({'flat' if flat else 'NOT flat'}, bound "
        f"+-{FLATNESS:.0%}); peak {peak:.1f} MiB (bound {RSS_BOUND_MIB:g})\n"
        f"tracebacks in the exporter's log: {tracebacks}"
    )
    ok = tracebacks == 0 and failed == 0 and flat and peak < RSS_BOUND_MIB
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
