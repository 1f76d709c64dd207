"""The exporter's HTTP endpoints as a small ASGI app: the telemetry path (/metrics),
/health, /-/healthy, /-/ready, /-/reload and a landing page.

They read the store only, so a hung vendor can't slow them. Rendering and bcrypt run in
worker threads so one big page or one password check never stalls the event loop that
accepts every other connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..state import ResultStore
from .auth import BasicAuth
from .landing import project_urls, render_landing
from .metrics import MetricsRenderer, negotiate
from .webconfig import WebConfig

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
Headers = list[tuple[bytes, bytes]]


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = TEXT
    extra: tuple[tuple[str, str], ...] = ()


@dataclass
class Endpoints:
    """What the app serves, swappable at reload (the server keeps running)."""

    store: ResultStore
    renderer: MetricsRenderer
    health: Callable[[], tuple[int, dict]]
    alive: Callable[[], bool]
    web: WebConfig
    telemetry_path: str = "/metrics"
    # Called by POST /-/reload when --web.enable-lifecycle is set; returns an error text.
    reload: Callable[[], str | None] | None = None
    # Extra links for the landing page, (title, URL): the simulator, in the demo.
    links: tuple[tuple[str, str], ...] = ()
    # How far the first round is, for /-/ready's 503 (None: no detail).
    first_round: Callable[[], str] | None = None


class ExporterApp:
    def __init__(self, endpoints: Endpoints):
        self.endpoints = endpoints
        self._auth = BasicAuth(endpoints.web.users)
        # bcrypt is CPU-bound by design: two workers at most, apart from rendering.
        self._auth_pool = ThreadPoolExecutor(2, thread_name_prefix="auth")
        self._docs_url = project_urls().get("Documentation")

    def set_web_config(self, web: WebConfig) -> None:
        self._auth = BasicAuth(web.users)
        self.endpoints.web = web

    def close(self) -> None:
        self._auth_pool.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        response = await self._respond(method, scope["path"], headers)
        await self._send(send, method, response)

    async def _respond(self, method: str, path: str, headers: dict[str, str]) -> Response:
        web = self.endpoints.web
        if web.needs_auth(path):
            loop = asyncio.get_running_loop()
            auth = self._auth
            ok = await loop.run_in_executor(
                self._auth_pool, auth.check, headers.get("authorization")
            )
            if not ok:
                return Response(401, b"Unauthorized\n", extra=(("WWW-Authenticate", "Basic"),))
        if path == "/-/reload":
            return await self._reload(method)
        if method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed\n", extra=(("Allow", "GET, HEAD"),))
        handler = self._routes().get(path)
        if handler is None:
            return Response(404, b"not found; see /\n")
        return await handler(headers)

    def _routes(self) -> dict[str, Callable[[dict[str, str]], Awaitable[Response]]]:
        return {
            self.endpoints.telemetry_path: self._metrics,
            "/health": self._health,
            "/-/healthy": self._healthy,
            "/-/ready": self._ready,
            "/": self._landing,
        }

    async def _metrics(self, headers: dict[str, str]) -> Response:
        chosen = negotiate(headers.get("accept", ""), headers.get("accept-encoding", ""))
        renderer = self.endpoints.renderer
        body = renderer.fresh(chosen.fmt, chosen.gzip)
        if body is None:  # something changed: render off the loop
            render = renderer.render_gzip if chosen.gzip else renderer.render
            body = await asyncio.to_thread(render, chosen.fmt)
        extra = [("Vary", "Accept, Accept-Encoding")]
        if chosen.gzip:
            extra.append(("Content-Encoding", "gzip"))
        return Response(200, body, chosen.content_type, tuple(extra))

    async def _health(self, _headers: dict[str, str]) -> Response:
        status, body = self.endpoints.health()
        return Response(status, json.dumps(body, indent=2).encode() + b"\n", "application/json")

    async def _healthy(self, _headers: dict[str, str]) -> Response:
        if self.endpoints.alive():
            return Response(200, b"OK\n")
        return Response(503, b"probe scheduler stopped\n")

    async def _ready(self, _headers: dict[str, str]) -> Response:
        if self.endpoints.store.all_probed():
            return Response(200, b"Ready\n")
        detail = self.endpoints.first_round() if self.endpoints.first_round else ""
        text = "waiting for the first probe of every target" + (f": {detail}" if detail else "")
        return Response(503, f"{text}\n".encode())

    async def _landing(self, _headers: dict[str, str]) -> Response:
        endpoints = self.endpoints
        _status, health = endpoints.health()
        page = render_landing(health, endpoints.telemetry_path, endpoints.links, self._docs_url)
        return Response(200, page.encode(), "text/html; charset=utf-8")

    async def _reload(self, method: str) -> Response:
        # As Prometheus: POST or PUT, and only with --web.enable-lifecycle.
        if method not in ("POST", "PUT"):
            return Response(405, b"use POST\n", extra=(("Allow", "POST, PUT"),))
        reload = self.endpoints.reload
        if reload is None:
            return Response(403, b"Lifecycle API is not enabled.\n")
        error = await asyncio.to_thread(reload)
        if error:
            return Response(500, f"failed to reload config: {error}\n".encode())
        return Response(200, b"OK\n")

    async def _send(self, send, method: str, response: Response) -> None:
        headers: Headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in response.extra]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.endpoints.web.headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        body = b"" if method == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})
