"""The exporter's HTTP server under load (issue 14 item 3): how long a real scraper
waits for /metrics while 2,000 idle connections sit open, and while 500 concurrent
scrapers hit it. Prints a table; asserts nothing.

The exporter runs in its own process (``--demo``: 7 targets against the built-in
simulator); the 500 scrapers in another process (raw asyncio sockets, keep-alive); the
measured scraper in this one (httpx, one keep-alive connection, as Prometheus scrapes;
and a fresh connection per scrape). The 500 scrapers run twice: each scraping once a
second (500 scrapes/s, far above any real deployment), then back to back with no pause
(saturation: the server's ceiling; by Little's law a scraper then waits about
500 / throughput, whatever the server).

    .venv/bin/python bench/server_load.py
"""

from __future__ import annotations

import asyncio
import random
import socket
import statistics
import subprocess
import sys
import time

import httpx
from saas_tools.stack.processes import free_port

IDLE = 2000
SCRAPERS = 500
SAMPLES = 60
LOAD_SECONDS = 15.0


def proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def measure(url: str, samples: int = SAMPLES) -> dict[str, list[float]]:
    keepalive, fresh = [], []
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(timeout=10) as client, httpx.Client(timeout=10, limits=no_reuse) as new:
        for _ in range(samples):
            t0 = time.perf_counter()
            client.get(url).raise_for_status()
            keepalive.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            new.get(url).raise_for_status()
            fresh.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
    return {"keep-alive": keepalive, "new connection": fresh}


def row(name: str, values: list[float], extra: str = "") -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    under = sum(1 for v in values if v <= 100) / len(values)
    return (
        f"| {name} | {statistics.median(values):.1f} ms | {p99:.1f} ms | {values[-1]:.1f} ms "
        f"| {under:.0%} | {extra} |"
    )


async def _scraper(
    host: str, port: int, stop_at: float, pause: float, stats: dict[str, int]
) -> None:
    request = f"GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats["connect errors"] += 1
        return
    next_at = time.monotonic() + pause * random.random()
    try:
        while time.monotonic() < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += pause
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await asyncio.wait_for(reader.readexactly(length), 10)
            stats["200" if head.startswith(b"HTTP/1.1 200") else "non-200"] += 1
    except TimeoutError:
        stats["timeouts"] += 1
    except (OSError, asyncio.IncompleteReadError):
        stats["dropped"] += 1
    finally:
        writer.close()


async def _load(host: str, port: int, seconds: float, pause: float) -> dict[str, int]:
    stats = dict.fromkeys(("200", "non-200", "timeouts", "dropped", "connect errors"), 0)
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_scraper(host, port, stop_at, pause, stats) for _ in range(SCRAPERS)))
    return stats


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "load":  # child: the 500 scrapers
        port, seconds, pause = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
        stats = asyncio.run(_load("127.0.0.1", port, seconds, pause))
        print(" ".join(f"{k}={v}" for k, v in stats.items()), flush=True)
        return
    port = free_port()
    exporter = subprocess.Popen(
        [sys.executable, "-m", "saas_exporter", "--demo", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        exporter.stdout.readline()  # "demo: exporter on ..." once it serves
        print("| situation | median | p99 | max | within 100 ms | notes |")
        print("|---|---|---|---|---|---|")
        for name, values in measure(url).items():
            print(row(f"quiet, {name}", values), flush=True)

        idle = []
        for _ in range(IDLE):
            sock = socket.create_connection(("127.0.0.1", port))
            idle.append(sock)
        time.sleep(0.5)
        status = proc_status(exporter.pid)
        notes = f"exporter threads {status['Threads'].strip()}, RSS {status['VmRSS'].strip()}"
        for name, values in measure(url).items():
            print(row(f"{IDLE} idle connections, {name}", values, notes), flush=True)
        for sock in idle:
            sock.close()

        for pause, label in ((1.0, "each once a second"), (0.0, "back to back")):
            load = subprocess.Popen(
                [sys.executable, __file__, "load", str(port), str(LOAD_SECONDS), str(pause)],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(2)  # let the scrapers connect and get going
            results = measure(url, samples=int((LOAD_SECONDS - 4) / 0.1 / 2))
            load_stats = load.communicate(timeout=60)[0].strip()
            threads = proc_status(exporter.pid)["Threads"].strip()
            notes = (
                f"the {SCRAPERS} scrapers in {LOAD_SECONDS:g} s: {load_stats}; threads {threads}"
            )
            for name, values in results.items():
                situation = f"{SCRAPERS} scrapers {label}, {name}"
                print(row(situation, values, notes), flush=True)
    finally:
        exporter.terminate()
        exporter.wait(15)


if __name__ == "__main__":
    main()
