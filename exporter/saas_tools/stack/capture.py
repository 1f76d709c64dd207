"""A local HTTP server standing in for Slack, PagerDuty and ticket webhooks.

Alertmanager's receivers are pointed at `http://127.0.0.1:PORT/<kind>/<name>`; every
POST is recorded with its arrival time, so tests and the drill assert the payloads
Alertmanager really rendered and measure when they arrived.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from saas_exporter.web.listen import server_url


@dataclass(frozen=True)
class Delivery:
    path: str
    body: dict[str, Any]
    received_at: float  # time.time()

    @property
    def kind(self) -> str:
        """`slack`, `pagerduty` or `webhook`."""
        return self.path.strip("/").split("/")[0]

    @property
    def name(self) -> str:
        return self.path.strip("/").split("/", 1)[1]


@dataclass
class _Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    deliveries: list[Delivery] = field(default_factory=list)


class CaptureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0)):
        self.log = _Log()
        super().__init__(address, _Handler)
        self._thread = threading.Thread(target=self.serve_forever, name="capture", daemon=True)

    @property
    def base_url(self) -> str:
        return server_url(self.server_address)

    def start(self) -> CaptureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)

    def record(self, delivery: Delivery) -> None:
        with self.log.lock:
            self.log.deliveries.append(delivery)

    def deliveries(self, since: float = 0.0) -> list[Delivery]:
        with self.log.lock:
            return [d for d in self.log.deliveries if d.received_at >= since]

    def clear(self) -> None:
        with self.log.lock:
            self.log.deliveries.clear()


class _Handler(BaseHTTPRequestHandler):
    server: CaptureServer

    def log_message(self, format: str, *args) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        self.server.record(Delivery(self.path, body, time.time()))
        answer = b'{"status": "success", "message": "Event processed"}'
        # PagerDuty's Events API answers 202; Slack and webhooks accept any 2xx.
        self.send_response(202 if self.path.startswith("/pagerduty/") else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
