"""A lab for the on-call commands on the test stack (saas_tools.stack): the simulator,
an in-process exporter with a config file, an app's in-app series and a real Prometheus
running the rule pack on a test clock. Waits poll real APIs with a deadline."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from saas_inapp.instrument import instrumented_client
from saas_tools.checkout import Checkout
from saas_tools.stack import RuleClock, Stack, StackSpec, poll

from saas_exporter.config import load_config
from tests.conftest import REPO

CONFIG_NAME = "saas-exporter.yml"
ACCOUNT_ID = "DEMO01"
KEY = f"pk_sim_{ACCOUNT_ID}"
WAIT_SECONDS = 30.0
APP_HEADERS = {"authorization": "Klaviyo-API-Key pk_live_app", "revision": "2026-07-15"}


def wait_until(what: str, probe: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """Poll until probe() returns something truthy (and return it); fail naming `what`."""
    return poll(probe, timeout, what)


def write_config(
    directory: Path,
    simulator_url: str,
    key: str = KEY,
    key_mode: int = 0o600,
    account: dict[str, Any] | None = None,
    vendor: dict[str, Any] | None = None,
    expected_account_id: str | None = ACCOUNT_ID,
) -> Path:
    """A config file pointing at the simulator, its key in a file beside it."""
    key_file = directory / "klaviyo.key"
    key_file.write_text(key + "\n")
    key_file.chmod(key_mode)
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": simulator_url,
                "statuspage_url": f"{simulator_url}/status/klaviyo",
                "revision": "2026-07-15",
                "timeout": "2s",
                # Probes run at start and when a test triggers them, not on their own.
                "intervals": {"accounts": "10m", "profiles": "10m", "statuspage": "10m"},
                "accounts": [
                    {
                        "name": "main",
                        "api_key_file": "klaviyo.key",
                        **(
                            {"expected_account_id": expected_account_id}
                            if expected_account_id
                            else {}
                        ),
                        **(account or {}),
                    }
                ],
                **(vendor or {}),
            }
        ]
    }
    path = directory / CONFIG_NAME
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


class Lab:
    """The test stack with a file config and an app's in-app series, the pack's rules on a
    test clock (every group evaluated every 500ms, every `for` cut to 1s; names,
    expressions and labels are the pack's own), and scenario switches that wait for
    alerts."""

    def __init__(self, directory: Path):
        if shutil.which("prometheus") is None or shutil.which("promtool") is None:
            pytest.skip("Prometheus is not installed (make test installs it)")
        spec = StackSpec(
            checkout=Checkout(REPO),
            exporter_config=lambda simulator_url, workdir: load_config(
                write_config(workdir, simulator_url)
            ),
            rules=RuleClock("500ms", lambda seconds: 1.0),
            scrape_interval="500ms",
            app=True,
        )
        self.stack = Stack(spec, directory).start()
        self.config_file = directory / CONFIG_NAME
        self.simulator = self.stack.simulator
        self.exporter = self.stack.exporter
        self.exporter_url = f"http://{self.exporter.address}"
        self.prometheus = self.stack.prometheus
        # The production app's own in-app series, as saas_inapp.instrument records them:
        # one successful request per vendor the table expects in-app series for (the
        # pack alerts when they are absent).
        assert self.stack.app_registry is not None
        self.app_registry = self.stack.app_registry
        with self.app_client() as client:
            client.get("/api/profiles/", headers=APP_HEADERS)
        with instrumented_client(
            "clay", registry=self.app_registry, base_url=f"{self.simulator.base_url}/clay/public/v0"
        ) as clay:
            clay.get("/me", headers={"clay-api-key": "clay_live_app"})
        wait_until(
            "the app's requests to both vendors scraped",
            lambda: len(self.prometheus.query("count by (vendor) (saas_api_requests_total)")) == 2,
        )
        wait_until("no alert pending or firing", lambda: not self.prometheus.query("ALERTS"))

    def app_client(self) -> httpx.Client:
        """The production app's client, recording the in-app series Prometheus scrapes."""
        return instrumented_client(
            "klaviyo", registry=self.app_registry, base_url=self.simulator.base_url
        )

    def scenario(self, name: str, **params: Any) -> None:
        """Switch the vendor and probe at once (an explicit trigger, not a wait)."""
        self.simulator.set_scenario("klaviyo", name, **params)
        self.exporter.probe_all_now()

    def firing(self) -> set[tuple[str, str]]:
        """(alertname, cause) of every firing Saas alert."""
        return {
            (r["metric"]["alertname"], r["metric"].get("cause", ""))
            for r in self.prometheus.query('ALERTS{alertname=~"Saas.*", alertstate="firing"}')
        }

    def wait_firing(self, *alerts: tuple[str, str]) -> None:
        wait_until(f"alerts {alerts} firing", lambda: set(alerts) <= self.firing())

    def back_to_healthy(self) -> None:
        self.scenario("healthy")
        wait_until("no alert pending or firing", lambda: not self.prometheus.query("ALERTS"))

    def close(self) -> None:
        self.stack.stop()


def run_command(run: Callable[..., int], argv: list[str], **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()
