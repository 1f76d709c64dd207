"""A lab for the on-call commands: the simulator, an in-process exporter, and a real
Prometheus scraping it with test-only alerting rules. Waits poll real APIs with a deadline."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, start_http_server
from saas_inapp.instrument import instrumented_client
from saas_tools.drill.configs import retimed_rules
from saas_tools.drill.configs import rule_files as rule_files_of_the_pack
from saas_tools.drill.processes import start_prometheus

from saas_exporter.config import load_config
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import SimulatorServer, start_simulator

PROMETHEUS = "/usr/bin/prometheus"
TEST_RULES = Path(__file__).parent / "fixtures" / "oncall" / "test-alerts.rules.yaml"
ACCOUNT_ID = "DEMO01"
KEY = f"pk_sim_{ACCOUNT_ID}"
WAIT_SECONDS = 30.0
APP_HEADERS = {"authorization": "Klaviyo-API-Key pk_live_app", "revision": "2026-07-15"}


def wait_until(what: str, probe: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """Poll until probe() returns something truthy; fail the test naming `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")


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
    path = directory / "saas-exporter.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rule_files(directory: Path) -> list[Path]:
    """The rule pack (rules/*.rules.yaml) on a test clock: every group evaluated every
    500ms and every `for` cut to 1s; names, expressions and labels are the pack's own.
    Without the pack in the tree, the test-only rules of the same shape."""
    written, _ = retimed_rules(directory, rule_files_of_the_pack(), "500ms", lambda seconds: 1.0)
    return written or [TEST_RULES]


def start_lab_simulator() -> SimulatorServer:
    server, _ = start_simulator()
    return server


def stop_simulator(server: SimulatorServer) -> None:
    server.shutdown()
    server.server_close()


class PrometheusProcess:
    """/usr/bin/prometheus on a free loopback port, scraping the given targets."""

    def __init__(self, directory: Path, jobs: dict[str, list[str]], rule_files: list[Path]):
        config = {
            "global": {"scrape_interval": "500ms", "evaluation_interval": "500ms"},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": targets}]}
                for job, targets in jobs.items()
            ],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.server = start_prometheus(directory / "prometheus.yml", directory)
        self.url = self.server.url
        self.client = httpx.Client(base_url=self.url, timeout=5)

    def ready(self) -> bool:
        try:
            return self.client.get("/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = self.client.get("/api/v1/query", params={"query": expr}).json()
        return body["data"]["result"]

    def firing(self) -> set[tuple[str, str]]:
        """(alertname, cause) of every firing Saas alert."""
        return {
            (r["metric"]["alertname"], r["metric"].get("cause", ""))
            for r in self.query('ALERTS{alertname=~"Saas.*", alertstate="firing"}')
        }

    def stop(self) -> None:
        self.client.close()
        self.server.stop()


class Lab:
    """Simulator -> exporter -> Prometheus, with scenario switches that wait for alerts."""

    def __init__(self, directory: Path):
        if not Path(PROMETHEUS).exists() or shutil.which("promtool") is None:
            pytest.skip("Prometheus is not installed (make test installs it)")
        self.directory = directory
        self.simulator = start_lab_simulator()
        self.config_file = write_config(directory, self.simulator.base_url)
        self.exporter = ExporterRuntime(load_config(self.config_file), ("127.0.0.1", 0))
        self.exporter.start()
        assert self.exporter.store.wait_all_probed(15)  # staggered start-up runs
        self.exporter_url = f"http://{self.exporter.address}"
        # The production app's own in-app series, as saas_inapp.instrument records them.
        self.app_registry = CollectorRegistry()
        self.app_server, self.app_thread = start_http_server(
            0, "127.0.0.1", registry=self.app_registry
        )
        app = f"127.0.0.1:{self.app_server.server_address[1]}"
        # One successful app request per vendor the table expects in-app series for:
        # the pack alerts when they are absent.
        with self.app_client() as client:
            client.get("/api/profiles/", headers=APP_HEADERS)
        with instrumented_client(
            "clay", registry=self.app_registry, base_url=f"{self.simulator.base_url}/clay/public/v0"
        ) as clay:
            clay.get("/me", headers={"clay-api-key": "clay_live_app"})
        jobs = {"saas-exporter": [self.exporter.address], "app": [app]}
        self.prometheus = PrometheusProcess(directory, jobs, rule_files(directory))
        wait_until("prometheus ready", self.prometheus.ready)
        wait_until(
            "a first scrape of the exporter",
            lambda: self.prometheus.query('up{job="saas-exporter"} == 1'),
        )
        wait_until("a first scrape of the app", lambda: self.prometheus.query('up{job="app"} == 1'))
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

    def wait_firing(self, *alerts: tuple[str, str]) -> None:
        wait_until(f"alerts {alerts} firing", lambda: set(alerts) <= self.prometheus.firing())

    def back_to_healthy(self) -> None:
        self.scenario("healthy")
        wait_until("no alert pending or firing", lambda: not self.prometheus.query("ALERTS"))

    def close(self) -> None:
        self.prometheus.stop()
        self.exporter.stop()
        self.app_server.shutdown()
        self.app_server.server_close()
        stop_simulator(self.simulator)


def run_command(run: Callable[..., int], argv: list[str], **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()
