"""The simulator's HTTP server: vendor routes, the scenario switch, request counts.

Routes
  GET  /api/accounts/, /api/profiles/           fake Klaviyo API (api_url = the base URL)
  GET  /status/klaviyo/api/v2/summary.json      fake Klaviyo status page, Atlassian (also
                                                status.json, incidents.json,
                                                scheduled-maintenances/upcoming.json
                                                and active.json)
                                                (statuspage_url = base/status/klaviyo)
  GET  /clay/public/v0/<any path>               fake Clay API, key in clay-api-key
                                                (api_url = base/clay/public/v0)
  GET  /status/clay/api/v1/status.json          fake Clay status page, Rootly (also
       /status/clay/api/v1/incidents.json       ?page=&per_page=)
  GET  /acme/<any path>                         fake generic vendor "Acme": Authorization:
                                                Bearer <key>, x-acme-quota-* headers
  GET  /status/acme/api/v2/summary.json         its Atlassian status page
  GET  /-/scenario                              current scenario per vendor, and the list
  POST /-/scenario  {"scenario": "auth_failure", "vendor": "klaviyo",
                     "page": "minor_incident" (the status page's own scenario),
                     "accounts": ["SIM001"] (only keys answering for these),
                     "retry_after_seconds": 30, "delay_seconds": 6}
                    (no "vendor": every vendor the scenario applies to)
  GET  /-/maintenances                          announced maintenances per vendor
  POST /-/maintenances {"vendor": "klaviyo", "maintenances": [{"id": "m1", "name": ...,
                        "components": ["Klaviyo API"], "starts_in_seconds": 0,
                        "duration_seconds": 3600, "cancelled": false}]}
                    (replaces the vendor's list; see maintenances.py)
  GET  /-/requests                              vendor requests served, by path
  POST /-/requests/reset

A key containing "revoked" answers 401 on every fake API (key-rotation drills).
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from ..web.listen import server_url
from . import acme_api, atlassian_page, clay_api, klaviyo_api, plain_api, rootly_page
from .maintenances import ACTIVE_PATH, UPCOMING_PATH, SimMaintenance, parse_maintenances
from .responses import Response
from .scenarios import ONLY_FOR, SCENARIOS, ScenarioState, applies_to

log = logging.getLogger(__name__)
VENDORS = ("klaviyo", "clay", "acme")
STATUS_PREFIX = "/status/"
# Fake plain-JSON APIs by path prefix.
PLAIN_APIS = {clay_api.PREFIX + "/": clay_api.CLAY, acme_api.PREFIX + "/": acme_api.ACME}
ATLASSIAN_DOCUMENTS = (
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/incidents.json",
    UPCOMING_PATH,
    ACTIVE_PATH,
)
# vendor -> (status page module, the paths it serves)
PAGES = {
    "klaviyo": (atlassian_page, ATLASSIAN_DOCUMENTS),
    "clay": (rootly_page, (rootly_page.STATUS_PATH, rootly_page.INCIDENTS_PATH)),
    "acme": (atlassian_page, ATLASSIAN_DOCUMENTS),
}


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
        self.maintenances: dict[str, tuple[SimMaintenance, ...]] = {v: () for v in VENDORS}
        self.requests: Counter[str] = Counter()
        self.windows = klaviyo_api.BurstWindows()
        self.minute_windows = plain_api.MinuteWindows(clock)
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer (a probe's timeout, a test stopping) is
        # normal for a fake vendor; anything else still gets socketserver's report.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return server_url(self.server_address)

    def set_scenario(self, vendor: str, name: str, **params) -> ScenarioState:
        if vendor not in self.scenarios:
            raise ValueError(f"vendor: expected one of {', '.join(self.scenarios)}, got {vendor!r}")
        if name not in SCENARIOS:
            raise ValueError(f"scenario: expected one of {', '.join(SCENARIOS)}, got {name!r}")
        if not applies_to(name, vendor):
            only = ", ".join(ONLY_FOR[name])
            raise ValueError(f"scenario: {name} applies to {only} only, not {vendor}")
        page = params.get("page")
        if page is not None and page not in SCENARIOS:
            raise ValueError(f"page: expected one of {', '.join(SCENARIOS)}, got {page!r}")
        accounts = params.get("accounts")
        if accounts is not None and (
            not isinstance(accounts, list | tuple) or not all(isinstance(a, str) for a in accounts)
        ):
            raise ValueError(f"accounts: expected a list of account ids, got {accounts!r}")
        state = ScenarioState(
            name=name,
            since=self.clock(),
            page=page,
            accounts=tuple(accounts) if accounts is not None else None,
        )
        if params.get("retry_after_seconds") is not None:
            state.retry_after_seconds = int(params["retry_after_seconds"])
        if params.get("delay_seconds") is not None:
            state.delay_seconds = float(params["delay_seconds"])
        with self.lock:
            self.scenarios[vendor] = state
        log.info("simulator scenario", extra={"fields": {"vendor": vendor, "scenario": name}})
        return state

    def set_scenario_everywhere(self, name: str, **params) -> None:
        """Every vendor the scenario applies to (the others keep theirs)."""
        if name not in SCENARIOS:
            raise ValueError(f"scenario: expected one of {', '.join(SCENARIOS)}, got {name!r}")
        for vendor in self.scenarios:
            if applies_to(name, vendor):
                self.set_scenario(vendor, name, **params)

    def set_maintenances(self, vendor: str, body) -> tuple[SimMaintenance, ...]:
        """Replace the vendor's announced maintenances (see maintenances.py)."""
        if vendor not in self.maintenances:
            raise ValueError(
                f"vendor: expected one of {', '.join(self.maintenances)}, got {vendor!r}"
            )
        parsed = parse_maintenances(body, self.clock())
        with self.lock:
            self.maintenances[vendor] = parsed
        return parsed

    def maintenances_view(self) -> dict:
        now = self.clock()
        with self.lock:
            return {v: [m.describe(now) for m in ms] for v, ms in self.maintenances.items()}

    def scenario(self, vendor: str) -> ScenarioState:
        with self.lock:
            return self.scenarios[vendor]

    def count(self, path: str) -> None:
        with self.lock:
            self.requests[path] += 1

    def request_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.requests)

    def route(self, path: str, headers, query: dict[str, str] | None = None) -> Response | None:
        if path in ("/api/accounts/", "/api/accounts", "/api/profiles/", "/api/profiles"):
            endpoint = "accounts" if path.startswith("/api/accounts") else "profiles"
            self.count(path)
            return klaviyo_api.handle(
                endpoint, headers, self.scenario("klaviyo"), self.windows, self.base_url, self.sleep
            )
        for prefix, api in PLAIN_APIS.items():
            if path.startswith(prefix):
                self.count(path)
                return plain_api.handle(
                    api,
                    headers,
                    self.scenario(api.vendor),
                    self.minute_windows,
                    self.base_url,
                    self.sleep,
                )
        if path.startswith(STATUS_PREFIX):
            vendor, _, tail = path[len(STATUS_PREFIX) :].partition("/")
            page, paths = PAGES.get(vendor, (None, ()))
            if tail in paths:
                self.count(path)
                base = f"{self.base_url}{STATUS_PREFIX}{vendor}"
                scenario, now = self.scenario(vendor).for_page(), self.clock()
                with self.lock:
                    maintenances = self.maintenances[vendor]
                if page is rootly_page:
                    return rootly_page.handle(
                        tail, query or {}, vendor, base, scenario, now, maintenances
                    )
                return atlassian_page.handle(tail, vendor, base, scenario, now, maintenances)
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
        path, _, raw_query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path == "/-/scenario":
            return self._json(200, self._scenarios_view())
        if path == "/-/requests":
            return self._json(200, self.server.request_counts())
        if path == "/-/maintenances":
            return self._json(200, self.server.maintenances_view())
        response = self.server.route(path, headers, dict(parse_qsl(raw_query)))
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
        if path == "/-/maintenances":
            try:
                body = json.loads(raw or b"{}")
                vendor = body.get("vendor") if isinstance(body, dict) else None
                self.server.set_maintenances(str(vendor), body)
            except ValueError as err:
                return self._json(400, {"error": str(err)})
            return self._json(200, self.server.maintenances_view())
        if path != "/-/scenario":
            return self._json(404, {"error": f"no such path {path}"})
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict) or "scenario" not in body:
                raise ValueError('expected a JSON object like {"scenario": "auth_failure"}')
            params = {
                key: body.get(key)
                for key in ("retry_after_seconds", "delay_seconds", "page", "accounts")
            }
            if body.get("vendor"):
                self.server.set_scenario(body["vendor"], body["scenario"], **params)
            else:
                self.server.set_scenario_everywhere(body["scenario"], **params)
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
