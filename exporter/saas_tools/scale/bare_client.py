"""The floor a probe's HTTP cost is compared with: a bare asyncio HTTP/1.1 client doing
the same GET plus JSON parse over kept-alive connections, with nothing else (no pool
bookkeeping, no header models, no timeouts). Not a client to use: a yardstick."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit


class BareClient:
    def __init__(self, base_url: str, connections: int):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: asyncio.Queue = asyncio.Queue()
        self.connections = connections
        self.opened = 0

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle.empty() and self.opened < self.connections:
            self.opened += 1
            return await asyncio.open_connection(self.host, self.port)
        return await self.idle.get()

    async def get_json(self, path: str, headers: dict[str, str]) -> tuple[int, object]:
        reader, writer = await self._connection()
        lines = [f"GET {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await reader.readexactly(length)
        self.idle.put_nowait((reader, writer))
        return int(status_line.split()[1]), json.loads(body)

    async def aclose(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()
