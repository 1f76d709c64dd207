"""HTTP endpoints: /metrics, /health, /-/healthy, /-/ready and a landing page.

Served from their own threads, reading the store only: a hung vendor can't slow them.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest

# 0.0.4 text: every Prometheus 2.x and 3.x server parses it, and our names need no escaping.
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as METRICS_CONTENT_TYPE
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from . import __version__
from .collector import SaasCollector
from .config import ExporterConfig
from .exposition import IncrementalExposition
from .health import compute_health
from .state import ResultStore

log = logging.getLogger(__name__)


def parse_listen_address(address: str) -> tuple[str, int]:
    """``:9879``, ``127.0.0.1:9879``, ``[::1]:9879``; ValueError says what was expected."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--web.listen-address: expected [host]:port, got {address!r}")
    return host.strip("[]"), int(port)


class MetricsRenderer:
    """Caches the vendor exposition until a probe writes (and then re-renders only the
    targets that changed); process metrics stay live."""

    def __init__(self, config: ExporterConfig, store: ResultStore):
        self.store = store
        self.exposition = IncrementalExposition(SaasCollector(config, store), store)
        self._process = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self._process)
        PlatformCollector(registry=self._process)
        GCCollector(registry=self._process)
        self._lock = threading.Lock()
        self._cached: tuple[int, bytes] | None = None

    def render(self) -> bytes:
        with self._lock:
            version = self.store.version
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, self.exposition.render())
            saas = self._cached[1]
        return saas + generate_latest(self._process)


LANDING = """<!doctype html>
<html><head><title>saas-exporter</title></head>
<body><h1>saas-exporter {version}</h1>
<p>Synthetic probes of SaaS vendors (API identity, rate-limit headroom, status page).</p>
<ul>
<li><a href="metrics">/metrics</a>: Prometheus metrics
  (probes run in the background; a scrape never calls a vendor)</li>
<li><a href="health">/health</a>: integration health per vendor
  (200 healthy, 503 degraded or down)</li>
<li><a href="-/healthy">/-/healthy</a>: liveness of the exporter itself
  (use this for Kubernetes liveness)</li>
<li><a href="-/ready">/-/ready</a>: readiness (every probe has run once)</li>
</ul></body></html>
"""


class ExporterHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        config: ExporterConfig,
        store: ResultStore,
        alive: Callable[[], bool],
        clock: Callable[[], float],
    ):
        self.config = config
        self.store = store
        self.alive = alive
        self.clock = clock
        self.renderer = MetricsRenderer(config, store)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A scraper hanging up mid-response (Prometheus shutting down, a timeout) is
        # routine, not a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("client went away", extra={"fields": {"client": client_address[0]}})
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: ExporterHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle and delayed ACKs
        # add ~40 ms to every keep-alive scrape.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:
        log.debug("http request", extra={"fields": {"request": format % args}})

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        srv = self.server
        if path == "/metrics":
            self._send(200, srv.renderer.render(), METRICS_CONTENT_TYPE)
        elif path == "/health":
            status, body = compute_health(srv.config, srv.store.states(), srv.clock())
            self._send(status, json.dumps(body, indent=2).encode() + b"\n", "application/json")
        elif path == "/-/healthy":
            ok = srv.alive()
            self._send(
                200 if ok else 503, b"OK\n" if ok else b"probe scheduler stopped\n", "text/plain"
            )
        elif path == "/-/ready":
            ready = srv.store.all_probed()
            text = b"Ready\n" if ready else b"waiting for the first probe of every target\n"
            self._send(200 if ready else 503, text, "text/plain")
        elif path == "/":
            self._send(
                200, LANDING.format(version=__version__).encode(), "text/html; charset=utf-8"
            )
        else:
            self._send(404, b"not found; see /\n", "text/plain")
