"""Figures for the exporter core: /metrics latency while the vendor hangs, and the vendor
calls caused by scraping 10 times a second. Prints a table; asserts nothing."""

from __future__ import annotations

import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from saas_exporter.demo import demo_config
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import start_simulator

SCRAPES = 200


class HungVendor(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self):
        self.release.wait(60)
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scrape_latencies(address: str, count: int, pause: float = 0.0) -> list[float]:
    out = []
    with httpx.Client() as client:
        for _ in range(count):
            start = time.perf_counter()
            client.get(f"http://{address}/metrics").raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
            if pause:
                time.sleep(pause)
    return out


def hung_vendor() -> None:
    vendor = ThreadingHTTPServer(("127.0.0.1", 0), HungVendor)
    threading.Thread(target=vendor.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{vendor.server_address[1]}"
    config = demo_config(url, {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"})
    runtime = ExporterRuntime(config, ("127.0.0.1", 0))
    runtime.start()
    try:
        ms = scrape_latencies(runtime.address, SCRAPES)
    finally:
        HungVendor.release.set()
        runtime.stop()
        vendor.shutdown()
    print(
        f"| /metrics while vendor hangs | {SCRAPES} scrapes | p50 {statistics.median(ms):.2f} ms"
        f" | p99 {percentile(ms, 0.99):.2f} ms | max {max(ms):.2f} ms |"
    )


def scrape_costs_nothing() -> None:
    simulator, _ = start_simulator()
    config = demo_config(
        simulator.base_url, {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"}
    )
    runtime = ExporterRuntime(config, ("127.0.0.1", 0))
    runtime.start()
    runtime.store.wait_all_probed(10)
    before = sum(simulator.request_counts().values())
    ms = scrape_latencies(runtime.address, 50, pause=0.1)  # 10 scrapes a second for 5 s
    after = sum(simulator.request_counts().values())
    runtime.stop()
    simulator.shutdown()
    print(
        f"| scraping 10/s for 5 s | 50 scrapes | vendor calls added: {after - before}"
        f" | p50 {statistics.median(ms):.2f} ms | |"
    )


if __name__ == "__main__":
    print("| case | load | figure | | |\n|---|---|---|---|---|")
    hung_vendor()
    scrape_costs_nothing()
