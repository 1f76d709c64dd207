"""The demo's simulated application: the project's own in-app library on live traffic.

It calls each simulated vendor's API through `saas_inapp.instrument`, so its calls follow
the simulator's scenario (switch Klaviyo to `auth_failure` and the app's 401s appear
beside the probes' failures), and receives Klaviyo webhooks, signed as Klaviyo signs
them, through `saas_inapp.webhooks`. Its in-app series are on its own `/metrics`, as a
production application serves them: Prometheus scrapes it as a second job.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from prometheus_client import CollectorRegistry, make_wsgi_app
from saas_inapp.instrument import instrumented_client
from saas_inapp.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
    KlaviyoWebhookVerifier,
    VerificationOutcome,
    klaviyo_signature,
    klaviyo_webhook_wsgi_app,
)

from ..web.listen import server_url
from .config import DEMO_ACCOUNT_ID, DEMO_ACCOUNT_NAME, demo_env

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/klaviyo"
# The demo's webhook secret and id: not secrets, the demo's both sides know them.
DEMO_WEBHOOK_SECRET = "whsec-demo-not-a-secret"
DEMO_WEBHOOK_ID = "01DEMOWEBHOOK0000000000000"
# One call per vendor every API_INTERVAL, one webhook every WEBHOOK_INTERVAL: a few
# percent of each simulated vendor's limit, so the probes' headroom stays high.
API_INTERVAL_SECONDS = 2.0
WEBHOOK_INTERVAL_SECONDS = 5.0
CALL_TIMEOUT_SECONDS = 10.0
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class AppCall:
    """One kind of call the application makes to a vendor: a GET with its key."""

    vendor: str
    base_path: str  # under the simulator's URL
    path: str
    headers: dict[str, str]


def app_calls() -> tuple[AppCall, ...]:
    """What the application calls: the same accounts the exporter probes, with the same
    keys (an integration and its probes share the account's budget)."""
    keys = list(demo_env().values())
    klaviyo, clay, acme = keys
    return (
        AppCall(
            "klaviyo",
            "",
            "/api/profiles/",
            {"authorization": f"Klaviyo-API-Key {klaviyo}", "revision": "2026-07-15"},
        ),
        AppCall("clay", "/clay/public/v0", "/me", {"clay-api-key": clay}),
        AppCall("acme", "/acme", "/v1/me", {"authorization": f"Bearer {acme}"}),
    )


def delivery(event_id: str, sent_at: float) -> bytes:
    """A Klaviyo system-webhook delivery with one event, as Klaviyo sends it."""
    document = {
        "data": [
            {
                "external_id": event_id,
                "topic": "event:klaviyo.received_email",
                "payload": {"data": {"type": "event", "id": event_id}},
            }
        ],
        "meta": {
            "klaviyo_account_id": DEMO_ACCOUNT_ID,
            "klaviyo_webhook_id": DEMO_WEBHOOK_ID,
            "timestamp": datetime.fromtimestamp(sent_at, UTC).isoformat(),
        },
    }
    return json.dumps(document).encode("utf-8")


def signed_headers(
    body: bytes, sent_at: float, secret: str = DEMO_WEBHOOK_SECRET
) -> dict[str, str]:
    timestamp = str(int(sent_at))
    return {
        WEBHOOK_ID_HEADER: DEMO_WEBHOOK_ID,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: klaviyo_signature(secret, body, timestamp),
        "content-type": "application/json",
    }


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo app request", extra={"fields": {"request": format % args}})


class DemoApp:
    """Serves `/metrics` and the webhook endpoint on `listen`; `start()` also starts the
    traffic (one thread per vendor, one for webhooks) unless `interval` is None, in which
    case `call_vendors()` and `send_webhook()` are explicit triggers."""

    def __init__(
        self,
        simulator_url: str,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.clock = clock
        self.calls = app_calls()
        self.clients = {
            call.vendor: instrumented_client(
                call.vendor,
                registry=self.registry,
                # The demo config's account name: the headroom alert and panels join the
                # app's rate-limit headroom with the probe's for the same account.
                account=DEMO_ACCOUNT_NAME,
                base_url=f"{simulator_url}{call.base_path}",
                headers=call.headers,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            for call in self.calls
        }
        self.verifier = KlaviyoWebhookVerifier(
            DEMO_WEBHOOK_SECRET, registry=self.registry, clock=clock
        )
        self.events_accepted = 0
        self._sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._serving = False
        self._metrics = make_wsgi_app(self.registry)
        self._webhooks = klaviyo_webhook_wsgi_app(self.verifier, self._handle_events)
        self.server = make_server(
            listen[0],
            listen[1],
            self._route,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._sender = httpx.Client(timeout=CALL_TIMEOUT_SECONDS)

    @property
    def url(self) -> str:
        return server_url(self.server.server_address)

    @property
    def address(self) -> str:
        return self.url.removeprefix("http://")

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics(environ, start_response)
        if path == WEBHOOK_PATH:
            return self._webhooks(environ, start_response)
        body = (
            "The demo's simulated application: /metrics (its in-app series), "
            f"POST {WEBHOOK_PATH} (Klaviyo webhooks, verified).\n"
        ).encode()
        status = "200 OK" if path == "/" else "404 Not Found"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [body]

    def _handle_events(self, outcome: VerificationOutcome) -> None:
        with self._lock:
            self.events_accepted += len(outcome.events)

    def call_vendors(self, vendors: Iterable[str] | None = None) -> dict[str, str]:
        """One call to each vendor (or the ones named): vendor -> status code or error."""
        wanted = set(vendors) if vendors is not None else None
        codes = {}
        for call in self.calls:
            if wanted is None or call.vendor in wanted:
                codes[call.vendor] = self._call(call)
        return codes

    def _call(self, call: AppCall) -> str:
        try:
            response = self.clients[call.vendor].get(call.path)
        except httpx.TransportError as err:
            # Recorded by the instrumented transport already (timeout, connection_error).
            return type(err).__name__
        return str(response.status_code)

    def send_webhook(self, secret: str = DEMO_WEBHOOK_SECRET) -> int:
        """Klaviyo's side: POST one signed delivery to the app; returns the HTTP status."""
        with self._lock:
            self._sent += 1
            event_id = f"evt-demo-{self._sent}"
        now = self.clock()
        body = delivery(event_id, now)
        response = self._sender.post(
            f"{self.url}{WEBHOOK_PATH}", content=body, headers=signed_headers(body, now, secret)
        )
        return response.status_code

    def start(self, interval: float | None = API_INTERVAL_SECONDS) -> DemoApp:
        self._serving = True
        self._spawn("demo-app-http", self.server.serve_forever)
        if interval is not None:
            for call in self.calls:
                self._spawn(f"demo-app-{call.vendor}", self._every, interval, self._call, call)
            self._spawn(
                "demo-app-webhooks", self._every, WEBHOOK_INTERVAL_SECONDS, self.send_webhook
            )
        return self

    def _spawn(self, name: str, target: Callable[..., Any], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _every(self, interval: float, action: Callable[..., Any], *args: Any) -> None:
        while True:
            try:
                action(*args)
            except httpx.HTTPError as err:
                log.debug("demo app call failed", extra={"fields": {"error": str(err)}})
            if self._stop.wait(interval):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._serving:
            self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(CALL_TIMEOUT_SECONDS + 1)
        for client in self.clients.values():
            client.close()
        self._sender.close()
