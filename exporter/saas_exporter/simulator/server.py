"""The simulator's HTTP server: vendor routes, the scenario switch, request counts.

Routes
  GET  /api/accounts/, /api/profiles/           fake Klaviyo API (api_url = the base URL)
  GET  /status/klaviyo/api/v2/summary.json      fake Klaviyo status page (also status.json,
                                                incidents.json)
                                                (statuspage_url = base/status/klaviyo)
  GET  /-/scenario                              current scenario per vendor, and the list
  POST /-/scenario  {"scenario": "auth_failure", "vendor": "klaviyo",
                     "retry_after_seconds": 30, "delay_seconds": 6}
  GET  /-/requests                              vendor requests served, by path
  POST /-/requests/reset
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import atlassian_page, klaviyo_api
from .responses import Response
from .scenarios import SCENARIOS, ScenarioState

log = logging.getLogger(__name__)
VENDORS = ("klaviyo",)
STATUS_PREFIX = "/status/"
_PAGE_DOCUMENTS = ("api/v2/summary.json", "api/v2/status.json", "api/v2/incidents.json")


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], clock=time.time, sleep=time.sleep):
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.scenarios: dict[str, ScenarioState] = {
            v: ScenarioState(since=clock()) for v in VENDORS
        }
        self.requests: Counter[str] = Counter()
        self.windows = klaviyo_api.BurstWindows()
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def set_scenario(self, vendor: str, name: str, **params) -> ScenarioState:
        if vendor not in self.scenarios:
            raise ValueError(f"vendor: expected one of {', '.join(self.scenarios)}, got {vendor!r}")
        if name not in SCENARIOS:
            raise ValueError(f"scenario: expected one of {', '.join(SCENARIOS)}, got {name!r}")
        state = ScenarioState(name=name, since=self.clock())
        if params.get("retry_after_seconds") is not None:
            state.retry_after_seconds = int(params["retry_after_seconds"])
        if params.get("delay_seconds") is not None:
            state.delay_seconds = float(params["delay_seconds"])
        with self.lock:
            self.scenarios[vendor] = state
        log.info("simulator scenario", extra={"fields": {"vendor": vendor, "scenario": name}})
        return state

    def scenario(self, vendor: str) -> ScenarioState:
        with self.lock:
            return self.scenarios[vendor]

    def count(self, path: str) -> None:
        with self.lock:
            self.requests[path] += 1

    def request_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.requests)

    def route(self, path: str, headers) -> Response | None:
        if path in ("/api/accounts/", "/api/accounts", "/api/profiles/", "/api/profiles"):
            endpoint = "accounts" if path.startswith("/api/accounts") else "profiles"
            self.count(path)
            return klaviyo_api.handle(
                endpoint, headers, self.scenario("klaviyo"), self.windows, self.base_url, self.sleep
            )
        if path.startswith(STATUS_PREFIX):
            vendor, _, tail = path[len(STATUS_PREFIX) :].partition("/")
            if vendor in self.scenarios and tail in _PAGE_DOCUMENTS:
                self.count(path)
                base = f"{self.base_url}{STATUS_PREFIX}{vendor}"
                return atlassian_page.handle(
                    tail, vendor, base, self.scenario(vendor), self.clock()
                )
        return None


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:
        log.debug("simulator request", extra={"fields": {"request": format % args}})

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _json(self, status: int, payload) -> None:
        self._send(
            Response(
                status,
                json.dumps(payload, indent=2).encode() + b"\n",
                {"content-type": "application/json"},
            )
        )

    def _scenarios_view(self) -> dict:
        return {
            "vendors": {v: self.server.scenario(v).describe() for v in self.server.scenarios},
            "scenarios": SCENARIOS,
        }

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path == "/-/scenario":
            return self._json(200, self._scenarios_view())
        if path == "/-/requests":
            return self._json(200, self.server.request_counts())
        response = self.server.route(path, headers)
        if response is None:
            return self._json(404, {"error": f"no such path {path}", "see": __doc__})
        self._send(response)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path == "/-/requests/reset":
            with self.server.lock:
                self.server.requests.clear()
            return self._json(200, {})
        if path != "/-/scenario":
            return self._json(404, {"error": f"no such path {path}"})
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict) or "scenario" not in body:
                raise ValueError('expected a JSON object like {"scenario": "auth_failure"}')
            vendors = [body["vendor"]] if body.get("vendor") else list(self.server.scenarios)
            for vendor in vendors:
                self.server.set_scenario(
                    vendor,
                    body["scenario"],
                    retry_after_seconds=body.get("retry_after_seconds"),
                    delay_seconds=body.get("delay_seconds"),
                )
        except (ValueError, TypeError) as err:
            return self._json(400, {"error": str(err)})
        self._json(200, self._scenarios_view())


def start_simulator(
    host: str = "127.0.0.1", port: int = 0
) -> tuple[SimulatorServer, threading.Thread]:
    server = SimulatorServer((host, port))
    thread = threading.Thread(target=server.serve_forever, name="simulator", daemon=True)
    thread.start()
    return server, thread
