"""One test stack: the simulator, the exporter, a real Prometheus running the pack's rules
on a fast clock, and on request a real Alertmanager with the shipped config delivering
to a capture server, and an application's metrics endpoint.

The dashboard tests, the on-call tests and the incident drill each describe what they
need in a `StackSpec`; `Stack` starts it (returning once Prometheus has scraped every
target and the exporter has probed every target once) and stops it, in reverse order,
whatever failed on the way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from saas_exporter.config import ExporterConfig
from saas_exporter.demo.app import DemoApp
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import SimulatorServer, start_simulator

from ..checkout import Checkout
from .capture import CaptureServer
from .configs import GroupTimers, dump_yaml, prometheus_config, write_capture_alertmanager_config
from .polling import poll
from .processes import Server, start_alertmanager, start_prometheus
from .prometheus_api import PrometheusAPI
from .rules import RetimedRules, RuleClock, retimed_rules

APP_JOB = "app"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Alerting:
    """Alertmanager with the checkout's config, every receiver delivering to a capture
    server; business hours always apply unless told otherwise."""

    timers: GroupTimers = field(default_factory=GroupTimers)
    always_business_hours: bool = True


@dataclass(frozen=True)
class StackSpec:
    checkout: Checkout  # where the rule pack and the Alertmanager config are read
    # The exporter's config, from the simulator's base URL and the stack's directory
    # (for configs that must be files, with key files beside them).
    exporter_config: Callable[[str, Path], ExporterConfig]
    # Simulator scenario per vendor at start (the others start healthy).
    scenarios: Mapping[str, str] = field(default_factory=dict)
    rules: RuleClock = field(default_factory=RuleClock)
    scrape_interval: str = "1s"
    exporter_job: str = "saas-exporter"
    # Serve `Stack.app_registry` as job `app`: an instrumented application's series.
    app: bool = False
    # Or run the demo's simulated application against the stack's simulator as job
    # `app` (`Stack.demo_app`; its traffic on explicit triggers only).
    demo_app: bool = False
    alerting: Alerting | None = None


class Stack:
    """Start with `with Stack(spec) as stack:` (or `start()` / `stop()`)."""

    simulator: SimulatorServer
    exporter: ExporterRuntime
    prometheus: PrometheusAPI
    prometheus_server: Server
    rules: RetimedRules
    app_registry: CollectorRegistry | None = None
    demo_app: DemoApp | None = None
    capture: CaptureServer | None = None
    alertmanager: Server | None = None

    def __init__(self, spec: StackSpec, workdir: Path | None = None) -> None:
        self.spec = spec
        self._exit = ExitStack()
        if workdir is None:
            workdir = Path(self._exit.enter_context(tempfile.TemporaryDirectory(prefix="stack-")))
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._exit.close()

    def urls(self) -> str:
        """Where each piece listens, for a log line."""
        parts = [
            f"simulator {self.simulator.base_url}",
            f"exporter http://{self.exporter.address}",
            f"prometheus {self.prometheus.url}",
        ]
        if self.alertmanager is not None and self.capture is not None:
            parts += [f"alertmanager {self.alertmanager.url}", f"capture {self.capture.base_url}"]
        return ", ".join(parts)

    def _start(self) -> None:
        spec = self.spec
        self._start_simulator()
        self.exporter = ExporterRuntime(
            spec.exporter_config(self.simulator.base_url, self.workdir), ("127.0.0.1", 0)
        )
        self.exporter.start()
        self._exit.callback(self.exporter.stop)
        jobs = {spec.exporter_job: [self.exporter.address]}
        if spec.app:
            jobs[APP_JOB] = [self._start_app()]
        elif spec.demo_app:
            jobs[APP_JOB] = [self._start_demo_app()]
        alertmanager_address = None
        if spec.alerting is not None:
            alertmanager_address = self._start_alerting(spec.alerting)
        self.rules = retimed_rules(self.workdir / "rules", spec.checkout.rule_files(), spec.rules)
        config = prometheus_config(
            jobs,
            self.rules.files,
            spec.scrape_interval,
            spec.rules.evaluation_interval,
            alertmanager_address,
        )
        self.prometheus_server = start_prometheus(
            dump_yaml(config, self.workdir / "prometheus.yml"), self.workdir
        )
        self._exit.callback(self.prometheus_server.stop)
        self.prometheus = PrometheusAPI(self.prometheus_server.url)
        self._exit.callback(self.prometheus.close)
        # Prometheus scrapes its first targets after its discovery throttle (~5 s):
        # the exporter's start-up probes run meanwhile.
        if not self.exporter.store.wait_all_probed(START_TIMEOUT):
            raise TimeoutError(f"the exporter did not probe every target in {START_TIMEOUT:g}s")
        poll(
            lambda: self.prometheus.value("count(up == 1)") == len(jobs),
            START_TIMEOUT,
            f"Prometheus's first scrape of {sorted(jobs)}",
            describe=lambda: str(self.prometheus.query("up")),
        )

    def _start_simulator(self) -> None:
        self.simulator, thread = start_simulator()
        self._exit.callback(thread.join, 5)
        self._exit.callback(self.simulator.server_close)
        self._exit.callback(self.simulator.shutdown)
        for vendor, scenario in self.spec.scenarios.items():
            self.simulator.set_scenario(vendor, scenario)

    def _start_app(self) -> str:
        self.app_registry = CollectorRegistry()
        server, thread = start_http_server(0, "127.0.0.1", registry=self.app_registry)
        self._exit.callback(thread.join, 5)
        self._exit.callback(server.server_close)
        self._exit.callback(server.shutdown)
        return f"127.0.0.1:{server.server_address[1]}"

    def _start_demo_app(self) -> str:
        self.demo_app = DemoApp(self.simulator.base_url).start(interval=None)
        self._exit.callback(self.demo_app.stop)
        self.app_registry = self.demo_app.registry
        return self.demo_app.address

    def _start_alerting(self, alerting: Alerting) -> str:
        self.capture = CaptureServer().start()
        self._exit.callback(self.capture.stop)
        config = write_capture_alertmanager_config(
            self.workdir / "alertmanager.yml",
            self.capture.base_url,
            self.spec.checkout.alertmanager_config,
            timers=alerting.timers,
            always_business_hours=alerting.always_business_hours,
        )
        self.alertmanager = start_alertmanager(config, self.workdir)
        self._exit.callback(self.alertmanager.stop)
        return self.alertmanager.url.removeprefix("http://")
