"""Reading a vendor's answer within limits: header bytes, and body bytes counted after
decompression, streamed and stopped at the limit.

httpx would decompress a whole network chunk at once (64 KiB of gzip can inflate to
64 MB) and keeps the whole body; here each content coding inflates at most the room
left under the limit (zlib's ``max_length``), so a gzip bomb or an endless chunked body
costs at most ``max_body_bytes`` of memory before the probe fails with ``too_large``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

# We ask only for what we can inflate within bounds.
ACCEPT_ENCODING = "gzip, deflate"
# The HTTP client's own ceiling on a response's header block (h11's, as httpcore sets it).
CLIENT_MAX_HEADER_BYTES = 100 * 1024


class AnswerRejected(Exception):
    """The answer cannot be read within bounds: ``reason`` is a failure reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.http_status = 0  # set once the status line has arrived


def size_text(size: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}" if size % scale else f"{size // scale} {unit}"
    return f"{size} bytes"


def header_bytes(response: httpx.Response) -> int:
    # name, ": ", value, CRLF per line, as on the wire.
    return sum(len(name) + len(value) + 4 for name, value in response.headers.raw)


class _Inflater:
    """One content coding, inflating at most the room it is given per call."""

    def __init__(self, coding: str):
        self.coding = coding
        self._raw_deflate_tried = False
        wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            # With max_length reached the rest stays in unconsumed_tail; the caller stops
            # anyway, since room + 1 bytes already passes the limit.
            return self._z.decompress(data, room + 1)
        except zlib.error:
            if self.coding == "deflate" and not self._raw_deflate_tried:
                # Some servers send raw deflate without the zlib wrapper (httpx does this too).
                self._raw_deflate_tried = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, room)
            raise AnswerRejected(
                "invalid_response", f"body is not valid {self.coding} data"
            ) from None

    def finish(self, room: int) -> bytes:
        try:
            return self._z.flush(room + 1) if room >= 0 else b""
        except zlib.error:
            raise AnswerRejected(
                "invalid_response", f"body is not valid {self.coding} data"
            ) from None


def _inflaters(response: httpx.Response) -> list[_Inflater]:
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    for coding in codings:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise AnswerRejected(
                "invalid_response", f"content-encoding {coding[:40]!r} was not asked for"
            )
    # Codings are listed in the order applied: undo them last first.
    return [_Inflater(c) for c in reversed(codings)]


def _too_large(limit: int, what: str = "body") -> AnswerRejected:
    return AnswerRejected(
        "too_large",
        f"{what} larger than {size_text(limit)} (global.limits.max_body_bytes); dropped",
    )


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, or AnswerRejected once it passes ``limit`` bytes (the rest of
    the stream is never read)."""
    inflaters = _inflaters(response)
    parts: list[bytes] = []
    size = 0
    raw: AsyncIterator[bytes] = response.aiter_raw()
    async for chunk in raw:
        data = chunk
        for inflater in inflaters:
            data = inflater.feed(data, limit - size)
            if len(data) > limit - size:
                raise _too_large(limit)
        size += len(data)
        if size > limit:
            raise _too_large(limit)
        parts.append(data)
    tail = b""
    for inflater in inflaters:
        tail = inflater.feed(tail, limit - size) if tail else b""
        tail += inflater.finish(limit - size - len(tail))
        if size + len(tail) > limit:
            raise _too_large(limit)
    parts.append(tail)
    return b"".join(parts)


def check_headers(response: httpx.Response, limit: int) -> None:
    size = header_bytes(response)
    if size > limit:
        raise AnswerRejected(
            "too_large",
            f"response headers of {size_text(size)}, over {size_text(limit)} "
            "(global.limits.max_header_bytes)",
        )


_READ_AS_IS = ("content-encoding", "content-length", "transfer-encoding")


def decoded_response(response: httpx.Response, body: bytes) -> httpx.Response:
    """A plain response holding the decoded body (the codings already undone)."""
    if "content-encoding" not in response.headers and "transfer-encoding" not in response.headers:
        # Sent as is: the headers (content-length included) still describe the body.
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=response.request
        )
    headers = [
        (name, value)
        for name, value in response.headers.raw
        if name.decode("latin-1").lower() not in _READ_AS_IS
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )
