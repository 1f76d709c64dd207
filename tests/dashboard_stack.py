"""The test stack for the dashboards: the demo exporter and an instrumented application.

The exporter probes the simulator's Klaviyo in the demo's minor_incident scenario; the
application is saas_inapp.instrument and the webhook verifier recording into the
stack's app registry. The pack's rules run with `for: 0s` and 1 s group intervals, so
the vendor-incident alerts fire within seconds instead of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry
from pytest_httpserver import HTTPServer
from saas_inapp.instrument import instrumented_client
from saas_inapp.webhooks import KlaviyoWebhookVerifier
from saas_tools.checkout import Checkout
from saas_tools.stack import RuleClock, Stack, StackSpec, poll
from saas_tools.stack.prometheus_api import PrometheusAPI

from saas_exporter.demo import DEMO_START_SCENARIO, demo_config
from tests.conftest import REPO
from tests.inapp_support import NOW, SECRET, delivery_body, signed_headers

DEADLINE_SECONDS = 60.0
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


def wait_until(what: str, check) -> None:
    """Poll the stack's APIs until `check` holds, or fail after the deadline."""
    poll(check, DEADLINE_SECONDS, what, interval=0.2)


class App:
    """The instrumented application: calls to a fake vendor API, webhooks received."""

    def __init__(self, registry: CollectorRegistry, stack: ExitStack) -> None:
        vendor_api = HTTPServer(host="127.0.0.1", port=0)
        for route, (status, _count) in APP_CALLS.items():
            vendor_api.expect_request(route).respond_with_json({"data": []}, status=status)
        vendor_api.start()
        stack.callback(vendor_api.stop)
        self.client = instrumented_client(
            "klaviyo", registry=registry, base_url=vendor_api.url_for("")
        )
        stack.callback(self.client.close)
        self.verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=lambda: NOW)
        self.rounds = 0

    def one_round(self) -> None:
        for route, (_status, count) in APP_CALLS.items():
            for _ in range(count):
                self.client.get(route)
        body = delivery_body([f"evt-{self.rounds}"], sent_at=NOW)
        self.verifier.verify(signed_headers(body), body)
        self.verifier.verify(signed_headers(body, secret="rotated-elsewhere"), body)
        self.rounds += 1


def dashboard_spec(exporter_job: str) -> StackSpec:
    return StackSpec(
        checkout=Checkout(REPO),
        # Klaviyo only: the expectations below (3 probes, one vendor) are Klaviyo's.
        exporter_config=lambda simulator_url, _: demo_config(simulator_url, vendors=("klaviyo",)),
        scenarios={"klaviyo": DEMO_START_SCENARIO},
        # `for: 0s`, so the alert panels have data without waiting minutes.
        rules=RuleClock("1s", lambda seconds: 0.0),
        exporter_job=exporter_job,
        app=True,
    )


@contextmanager
def dashboard_stack(tmp: Path, exporter_job: str) -> Iterator[PrometheusAPI]:
    with ExitStack() as exit_stack:
        stack = exit_stack.enter_context(Stack(dashboard_spec(exporter_job), tmp))
        assert stack.app_registry is not None
        app = App(stack.app_registry, exit_stack)
        app.one_round()
        api = stack.prometheus
        wait_until("every probe's first scrape", lambda: len(api.query("saas_probe_success")) == 3)
        wait_until("the app's first scrape", lambda: bool(api.query("saas_api_requests_total")))
        # Explicit triggers, then wait until Prometheus has scraped their effect:
        # counters and histograms then have an increase for rate() and increase().
        runs = api.value("sum(saas_probe_runs_total)")
        requests = api.value("sum(saas_api_requests_total)")
        stack.exporter.probe_all_now()
        app.one_round()
        wait_until("new probe runs", lambda: api.value("sum(saas_probe_runs_total)") > runs)
        wait_until("new app requests", lambda: api.value("sum(saas_api_requests_total)") > requests)
        firing = f'ALERTS{{alertstate="firing", alertname=~"{"|".join(DEMO_FIRING)}"}}'
        wait_until(
            f"{sorted(DEMO_FIRING)} to fire",
            lambda: {s["metric"]["alertname"] for s in api.query(firing)} == set(DEMO_FIRING),
        )
        yield api
