"""The running demo: the simulator, the simulated application and the exporter probing
the simulator, each on its own loopback port, started and stopped together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TypeVar

from ..runtime import ExporterRuntime
from ..simulator import SimulatorServer
from ..web.options import WebOptions
from .app import DemoApp
from .config import DEMO_START_SCENARIO, demo_config

Address = tuple[str, int]
T = TypeVar("T")


@dataclass(frozen=True)
class DemoSpec:
    exporter: Address
    simulator: Address
    app: Address
    scenario: str = DEMO_START_SCENARIO
    # Probe intervals (demo defaults otherwise); the app's call interval, None for none.
    intervals: Mapping[str, str] | None = None
    app_interval: float | None = 2.0
    # The exporter's web options (`saas-exporter --demo --web.config.file ...`).
    web: WebOptions | None = None


class ListenError(OSError):
    """A piece of the demo cannot listen: says which, and where."""

    def __init__(self, piece: str, address: Address, err: OSError):
        self.message = (
            f"cannot listen on {address[0]}:{address[1]} ({piece}): {err.strerror or err}"
        )
        super().__init__(err.errno, self.message)


class Demo:
    """`with Demo(spec) as demo:` or `start()` / `stop()`; stops what started if a later
    piece fails to start."""

    simulator: SimulatorServer
    app: DemoApp
    exporter: ExporterRuntime

    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self._exit = ExitStack()

    def __enter__(self) -> Demo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Demo:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._exit.close()

    @property
    def exporter_url(self) -> str:
        return self.exporter.url

    def _start(self) -> None:
        spec = self.spec
        self.simulator = _listen("simulator", spec.simulator, SimulatorServer)
        thread = threading.Thread(target=self.simulator.serve_forever, name="simulator")
        thread.daemon = True
        thread.start()
        self._exit.callback(thread.join, 5)
        self._exit.callback(self.simulator.server_close)
        self._exit.callback(self.simulator.shutdown)
        self.simulator.set_scenario_everywhere(spec.scenario)
        simulator_url = self.simulator.base_url
        self.app = _listen("application", spec.app, lambda a: DemoApp(simulator_url, a))
        self._exit.callback(self.app.stop)
        self.app.start(spec.app_interval)
        links = (
            ("simulator: scenarios", f"{simulator_url}/-/scenario"),
            ("simulated application: in-app metrics", f"{self.app.url}/metrics"),
        )
        config = demo_config(simulator_url, spec.intervals)
        self.exporter = _listen(
            "exporter",
            spec.exporter,
            lambda a: ExporterRuntime(config, a, web=spec.web, links=links),
        )
        self.exporter.start()
        self._exit.callback(self.exporter.stop)


def _listen(piece: str, address: Address, make: Callable[[Address], T]) -> T:
    try:
        return make(address)
    except OSError as err:
        raise ListenError(piece, address, err) from None
