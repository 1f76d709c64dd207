"""A real Prometheus scraping the demo exporter and an instrumented application.

The exporter probes the in-process simulator in the demo's minor_incident scenario;
the application is saas_inapp.instrument and the webhook verifier recording into
their own registry, served on a port Prometheus also scrapes. The pack's rules are
loaded from a temporary copy of rules/*.rules.yaml with `for: 0s` and 1 s group
intervals, so the vendor-incident alerts fire within seconds instead of minutes.
"""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry, start_http_server
from pytest_httpserver import HTTPServer
from saas_inapp.instrument import instrumented_client
from saas_inapp.webhooks import KlaviyoWebhookVerifier
from saas_tools.drill.configs import retimed_rules, rule_files
from saas_tools.drill.processes import free_port, start_prometheus

from saas_exporter.demo import DEMO_START_SCENARIO, demo_config
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import start_simulator
from tests.inapp_support import NOW, SECRET, delivery_body, signed_headers

DEADLINE_SECONDS = 60.0
APP_JOB = "app"
# Application calls per round: route -> (status, how many).
APP_CALLS = {
    "/api/profiles/": (200, 20),
    "/api/lists/L401xY/profiles": (401, 1),
    "/api/lists/L429xY/profiles": (429, 2),
    "/api/lists/L503xY/profiles": (503, 3),
}


# Alerts the demo fires once their rules have evaluated: the minor incident and its
# degraded component (status page), the app's 401 and its forged webhook (in-app).
DEMO_FIRING = {
    "SaasVendorIncidentMinor": "P3",
    "SaasVendorComponentDegraded": "P3",
    "SaasApiAuthErrors": "P1",
    "SaasWebhookSignatureInvalid": "P2",
}


class PrometheusAPI:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:
            document = json.load(response)
        assert document["status"] == "success", document
        return document["data"]

    def instant(self, expr: str) -> list[dict[str, Any]]:
        return self.get("/api/v1/query", query=expr)["result"]

    def range(self, expr: str, seconds: float = 120.0) -> list[dict[str, Any]]:
        end = time.time()
        data = self.get("/api/v1/query_range", query=expr, start=end - seconds, end=end, step="1s")
        return data["result"]

    def scalar(self, expr: str) -> float:
        result = self.instant(expr)
        return float(result[0]["value"][1]) if result else math.nan


def wait_until(what: str, check: Callable[[], bool]) -> None:
    """Poll a real server's API until `check` holds, or fail after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def fast_rules(target: Path) -> list[Path]:
    """The pack's rule files with `for: 0s` and 1 s intervals (test-only copy), so the
    alert panels have data without waiting minutes."""
    return retimed_rules(target, rule_files(), "1s", lambda seconds: 0.0)[0]


class App:
    """The instrumented application: calls to a fake vendor API, webhooks received."""

    def __init__(self, stack: ExitStack) -> None:
        self.registry = CollectorRegistry()
        vendor_api = HTTPServer(host="127.0.0.1", port=0)
        for route, (status, _count) in APP_CALLS.items():
            vendor_api.expect_request(route).respond_with_json({"data": []}, status=status)
        vendor_api.start()
        stack.callback(vendor_api.stop)
        self.client = instrumented_client(
            "klaviyo", registry=self.registry, base_url=vendor_api.url_for("")
        )
        stack.callback(self.client.close)
        self.verifier = KlaviyoWebhookVerifier(SECRET, registry=self.registry, clock=lambda: NOW)
        self.port = free_port()
        server, thread = start_http_server(self.port, "127.0.0.1", self.registry)
        stack.callback(thread.join, 5)
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        self.rounds = 0

    def one_round(self) -> None:
        for route, (_status, count) in APP_CALLS.items():
            for _ in range(count):
                self.client.get(route)
        body = delivery_body([f"evt-{self.rounds}"], sent_at=NOW)
        self.verifier.verify(signed_headers(body), body)
        self.verifier.verify(signed_headers(body, secret="rotated-elsewhere"), body)
        self.rounds += 1


@dataclass
class Stack:
    api: PrometheusAPI
    exporter_job: str


def _start_prometheus(stack: ExitStack, tmp: Path, targets: dict[str, str]) -> PrometheusAPI:
    rule_files = fast_rules(tmp / "rules")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [address]}]}
            for job, address in targets.items()
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    server = start_prometheus(tmp / "prometheus.yml", tmp)  # returns once /-/ready answers
    stack.callback(server.stop)
    return PrometheusAPI(server.url)


@contextmanager
def dashboard_stack(tmp: Path, exporter_job: str) -> Iterator[Stack]:
    with ExitStack() as stack:
        simulator, thread = start_simulator()
        stack.callback(thread.join, 5)
        stack.callback(simulator.server_close)
        stack.callback(simulator.shutdown)
        simulator.set_scenario("klaviyo", DEMO_START_SCENARIO)
        # Klaviyo only: the expectations below (3 probes, one vendor) are Klaviyo's.
        config = demo_config(simulator.base_url, vendors=("klaviyo",))
        runtime = ExporterRuntime(config, ("127.0.0.1", free_port()))
        runtime.start()
        assert runtime.store.wait_all_probed(15)  # staggered start-up runs
        stack.callback(runtime.stop)
        app = App(stack)
        app.one_round()
        api = _start_prometheus(
            stack, tmp, {exporter_job: runtime.address, APP_JOB: f"127.0.0.1:{app.port}"}
        )
        wait_until(
            "every probe's first scrape", lambda: len(api.instant("saas_probe_success")) == 3
        )
        wait_until("the app's first scrape", lambda: bool(api.instant("saas_api_requests_total")))
        # Explicit triggers, then wait until Prometheus has scraped their effect:
        # counters and histograms then have an increase for rate() and increase().
        runs = api.scalar("sum(saas_probe_runs_total)")
        requests = api.scalar("sum(saas_api_requests_total)")
        runtime.probe_all_now()
        app.one_round()
        wait_until("new probe runs", lambda: api.scalar("sum(saas_probe_runs_total)") > runs)
        wait_until(
            "new app requests", lambda: api.scalar("sum(saas_api_requests_total)") > requests
        )
        firing = f'ALERTS{{alertstate="firing", alertname=~"{"|".join(DEMO_FIRING)}"}}'
        wait_until(
            f"{sorted(DEMO_FIRING)} to fire",
            lambda: {s["metric"]["alertname"] for s in api.instant(firing)} == set(DEMO_FIRING),
        )
        yield Stack(api=api, exporter_job=exporter_job)
