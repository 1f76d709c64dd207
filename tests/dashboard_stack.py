"""The test stack for the dashboards: the demo as `make demo` runs it.

The exporter probes the simulator's three vendors with the demo's config in the demo's
starting scenario (minor_incident); the application is the demo's own (its calls through
saas_inapp.instrument, its webhooks through saas_inapp.webhooks), its traffic sent on
explicit triggers. The pack's rules run with `for: 0s` and 1 s group intervals, so the
vendor-incident alerts fire within seconds instead of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from saas_tools.checkout import Checkout
from saas_tools.stack import RuleClock, Stack, StackSpec, poll
from saas_tools.stack.prometheus_api import PrometheusAPI

from saas_exporter.demo import DEMO_START_SCENARIO, DEMO_VENDORS, demo_config
from tests.conftest import REPO

DEADLINE_SECONDS = 60.0
# Probe targets of the demo: Klaviyo's 3, Clay's 2, Acme's 2.
DEMO_TARGETS = 7
# Alerts the demo fires once their rules have evaluated: the minor incident on Klaviyo's
# status page and its degraded component.
DEMO_FIRING = {"SaasVendorIncidentMinor": "P3", "SaasVendorComponentDegraded": "P3"}
APP_ROUNDS = 2


def wait_until(what: str, check) -> None:
    """Poll the stack's APIs until `check` holds, or fail after the deadline."""
    poll(check, DEADLINE_SECONDS, what, interval=0.2)


def dashboard_spec(exporter_job: str) -> StackSpec:
    return StackSpec(
        checkout=Checkout(REPO),
        exporter_config=lambda simulator_url, _: demo_config(simulator_url),
        scenarios={vendor: DEMO_START_SCENARIO for vendor in DEMO_VENDORS},
        # `for: 0s`, so the alert panels have data without waiting minutes.
        rules=RuleClock("1s", lambda seconds: 0.0),
        exporter_job=exporter_job,
        demo_app=True,
    )


def app_traffic_scraped(api: PrometheusAPI, rounds: int) -> bool:
    """Prometheus's latest scrape of the app holds exactly `rounds` rounds of its calls
    and webhooks: no round half scraped, so every series steps once per round."""
    calls = api.query("sum by (vendor) (saas_api_requests_total)")
    webhooks = api.value('sum(saas_webhook_verifications_total{result="valid"})')
    by_vendor = {s["metric"]["vendor"]: float(s["value"][1]) for s in calls}
    return by_vendor == dict.fromkeys(DEMO_VENDORS, float(rounds)) and webhooks == rounds


def probe_runs(api: PrometheusAPI) -> dict[frozenset, float]:
    return {
        frozenset(s["metric"].items()): float(s["value"][1])
        for s in api.query("saas_probe_runs_total")
    }


@contextmanager
def dashboard_stack(tmp: Path, exporter_job: str) -> Iterator[PrometheusAPI]:
    with Stack(dashboard_spec(exporter_job), tmp) as stack:
        app = stack.demo_app
        assert app is not None
        api = stack.prometheus
        wait_until(
            "every probe's first scrape",
            lambda: len(api.query("saas_probe_success")) == DEMO_TARGETS,
        )
        # Explicit triggers, each waited for until Prometheus has scraped all of its
        # effect: every counter and histogram then has an increase for rate() and
        # increase(), whatever the machine's load did to the scrapes' timing.
        for rounds in range(1, APP_ROUNDS + 1):
            app.call_vendors()
            app.send_webhook()
            wait_until(f"app round {rounds} scraped", lambda r=rounds: app_traffic_scraped(api, r))
        runs = probe_runs(api)
        stack.exporter.probe_all_now()
        wait_until(
            "a new probe run of every target",
            lambda: all(probe_runs(api).get(k, 0.0) > v for k, v in runs.items()),
        )
        firing = f'ALERTS{{alertstate="firing", alertname=~"{"|".join(DEMO_FIRING)}"}}'
        wait_until(
            f"{sorted(DEMO_FIRING)} to fire",
            lambda: {s["metric"]["alertname"] for s in api.query(firing)} == set(DEMO_FIRING),
        )
        yield api
