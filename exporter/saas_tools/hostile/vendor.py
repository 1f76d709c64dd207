"""A hostile fake vendor on loopback: raw HTTP/1.1 from asyncio streams, so it can send
what no well-behaved server library would (gzip bombs, endless bodies, 200 KB of
headers, bytes that are not HTTP, silence).

The first path segment picks the mode (``/gzip_bomb/v1/me``), so one server can play
every fault at once for many vendors; ``default_mode`` answers paths without one, and
``set_mode`` switches it at runtime (the soak flips it every few seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from .modes import MODES

MAX_REQUEST_HEAD = 16 * 1024


class HostileVendor:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, default_mode: str = "healthy"):
        self.host = host
        self.port = port
        self.default_mode = default_mode
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def mode_url(self, mode: str) -> str:
        return f"{self.url}/{mode}"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"no such mode {mode!r}; modes: {', '.join(MODES)}")
        self.default_mode = mode

    def start(self) -> HostileVendor:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _mode_and_path(self, target: str) -> tuple[str, str]:
        first, _, rest = target.lstrip("/").partition("/")
        if first in MODES:
            return first, "/" + rest
        return self.default_mode, target

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests += 1
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            if len(request) > MAX_REQUEST_HEAD:
                return
            target = request.split(b" ", 2)[1].decode("latin-1")
            mode, path = self._mode_and_path(target.split("?", 1)[0])

            async def send(data: bytes) -> None:
                writer.write(data)
                await writer.drain()

            await MODES[mode].handler(path, send)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.transport.abort()
            return
        except asyncio.CancelledError:  # stop(): end quietly, the test is over
            writer.transport.abort()
            return
        except IndexError:
            pass
        with contextlib.suppress(Exception):
            writer.close()
            await writer.wait_closed()
