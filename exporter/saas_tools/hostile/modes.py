"""The hostile vendor's fault modes: what it sends, and what a probe must make of it.

Each mode answers both documents a generic vendor's probes read: the API call
(``/v1/me``, probed by the ``api`` probe with ``api.account_id_field: id``) and the
Atlassian status page (``/api/v2/summary.json`` and its maintenance documents). The
expected reasons are per probe; ``None`` means the probe succeeds.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Send = Callable[[bytes], Awaitable[None]]
Handler = Callable[[str, Send], Awaitable[None]]

API_PATH = "/v1/me"
ACCOUNT_ID = "ACME1"


@dataclass(frozen=True)
class Mode:
    name: str
    handler: Handler
    api_reason: str | None  # the api probe's failure reason; None: success
    page_reason: str | None  # the status-page probe's
    what: str
    # The exporter honours it by not probing for up to 15 minutes (a Retry-After).
    backs_off: bool = False


def head(
    status: int = 200, headers: dict[str, str] | None = None, length: int | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    all_headers = {"content-type": "application/json", "connection": "close", **(headers or {})}
    if length is not None:
        all_headers["content-length"] = str(length)
    lines += [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def is_api(path: str) -> bool:
    return path.startswith(API_PATH)


def healthy_body(path: str, components: list | None = None) -> bytes:
    if is_api(path):
        return json.dumps({"id": ACCOUNT_ID}).encode()
    if "scheduled-maintenances" in path:
        return b'{"scheduled_maintenances": []}'
    page = {
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": components
        if components is not None
        else [{"id": "c1", "name": "API", "status": "operational"}],
        "incidents": [],
        "scheduled_maintenances": [],
    }
    return json.dumps(page).encode()


async def answer(send: Send, body: bytes, status: int = 200, headers=None) -> None:
    await send(head(status, headers, len(body)) + body)


def fixed(body_for: Callable[[str], bytes], status: int = 200, headers=None) -> Handler:
    async def handler(path: str, send: Send) -> None:
        await answer(send, body_for(path), status, headers)

    return handler


async def healthy(path: str, send: Send) -> None:
    await answer(send, healthy_body(path))


def _page_or_api(api: bytes, page: bytes) -> Callable[[str], bytes]:
    return lambda path: api if is_api(path) else page


async def gzip_bomb(path: str, send: Send) -> None:
    """An endless gzip stream of zeros: about 1 KB on the wire per MiB inflated."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = z.compress(b"\0" * (1 << 20)) + z.flush(zlib.Z_FULL_FLUSH)  # with the gzip header
    block = z.compress(b"\0" * (1 << 20)) + z.flush(zlib.Z_FULL_FLUSH)  # repeatable
    await send(head(200, {"content-encoding": "gzip", "transfer-encoding": "chunked"}))
    for data in (first, *[block] * 100_000):  # 100 GiB inflated, if anyone read it all
        await send(f"{len(data):x}\r\n".encode() + data + b"\r\n")


async def big_body(path: str, send: Send) -> None:
    """50 MB declared and sent (a client that stops reading makes the send fail)."""
    size = 50 * 1000 * 1000
    await send(head(200, length=size))
    block = b" " * 65536
    for _ in range(size // len(block)):
        await send(block)


async def endless_chunked(path: str, send: Send) -> None:
    await send(head(200, {"transfer-encoding": "chunked"}))
    chunk = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
    while True:
        await send(chunk)


def headers_of(size: int) -> dict[str, str]:
    return {f"x-filler-{i}": "y" * 1000 for i in range(size // 1000)}


async def trickle(path: str, send: Send) -> None:
    """Headers at once, then a byte every 100 ms, for ever."""
    await send(head(200, {"transfer-encoding": "chunked"}))
    while True:
        await send(b"1\r\n \r\n")
        await asyncio.sleep(0.1)


async def silent(path: str, send: Send) -> None:
    await asyncio.sleep(3600)


async def reset(path: str, send: Send) -> None:
    raise ConnectionResetError  # the server aborts the connection


async def garbage(path: str, send: Send) -> None:
    await send(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")


def _components(n: int, name_length: int = 8, **extra) -> list[dict]:
    return [
        {"id": f"c{i}", "name": f"c{i}".ljust(name_length, "x"), "status": "operational", **extra}
        for i in range(n)
    ]


def _page(components: list) -> bytes:
    return healthy_body("/api/v2/summary.json", components)


DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE_NUMBER = b'{"id": ' + b"9" * 5000 + b"}"
HUGE_WINDOW = {"ratelimit-policy": "10;w=" + "9" * 309, "ratelimit-remaining": "5"}

MODES: dict[str, Mode] = {
    m.name: m
    for m in [
        Mode("healthy", healthy, None, None, "well-formed answers"),
        Mode(
            "deep_json",
            fixed(lambda p: DEEP),
            "invalid_response",
            "invalid_response",
            "JSON nested 100,000 deep",
        ),
        Mode(
            "huge_number",
            fixed(lambda p: HUGE_NUMBER),
            "invalid_response",
            "invalid_response",
            "a 5,000-digit number",
        ),
        Mode(
            "nan",
            fixed(lambda p: b'{"id": NaN, "status": NaN}'),
            "invalid_response",
            "invalid_response",
            "NaN where JSON has none",
        ),
        Mode(
            "huge_window",
            fixed(healthy_body, headers=HUGE_WINDOW),
            None,
            None,
            "a 309-digit rate-limit window (flagged, not fatal)",
        ),
        Mode(
            "group_id_list",
            fixed(_page_or_api(healthy_body(API_PATH), _page(_components(3, group_id=[])))),
            None,
            None,
            "group_id: [] in every component",
        ),
        Mode("gzip_bomb", gzip_bomb, "too_large", "too_large", "an endless gzip bomb"),
        Mode("big_body", big_body, "too_large", "too_large", "a 50 MB body"),
        Mode(
            "endless_chunked", endless_chunked, "too_large", "too_large", "an endless chunked body"
        ),
        Mode(
            "many_components",
            fixed(_page_or_api(healthy_body(API_PATH), _page(_components(100_000)))),
            None,
            "too_large",
            "a status page of 100,000 components",
        ),
        Mode(
            "components_over_cap",
            fixed(_page_or_api(healthy_body(API_PATH), _page(_components(2_000)))),
            None,
            None,
            "2,000 components: 500 kept, 1,500 counted as dropped",
        ),
        Mode(
            "long_labels",
            fixed(_page_or_api(healthy_body(API_PATH), _page(_components(3, name_length=100_000)))),
            None,
            None,
            "component names of 100,000 characters",
        ),
        Mode(
            "surrogates",
            fixed(
                _page_or_api(
                    b'{"id": "\\ud800\\u0000x"}',
                    _page([{"id": "s", "name": "\ud800 \u0007", "status": "operational"}]),
                )
            ),
            None,
            None,
            "lone surrogates and control characters in ids and names",
        ),
        Mode(
            "huge_headers",
            fixed(healthy_body, headers=headers_of(200_000)),
            "too_large",
            "too_large",
            "200 KB of response headers",
        ),
        Mode(
            "big_headers",
            fixed(healthy_body, headers=headers_of(80_000)),
            "too_large",
            "too_large",
            "80 KB of response headers",
        ),
        Mode("trickle", trickle, "timeout", "timeout", "a body trickling a byte per 100 ms"),
        Mode("silent", silent, "timeout", "timeout", "no answer at all"),
        Mode("reset", reset, "connection", "connection", "the connection reset"),
        Mode("garbage", garbage, "connection", "connection", "bytes that are not HTTP"),
        Mode(
            "non_utf8",
            fixed(lambda p: b'{"id": "\xff\xfe"}'),
            "invalid_response",
            "invalid_response",
            "a body that is not UTF-8",
        ),
        Mode(
            "html",
            fixed(lambda p: b"<html>maintenance</html>", headers={"content-type": "text/html"}),
            "invalid_response",
            "invalid_response",
            "an HTML page with 200",
        ),
        Mode(
            "retry_after_huge",
            fixed(lambda p: b"{}", 429, {"retry-after": "9" * 400}),
            "throttled",
            "throttled",
            "a 429 asking to wait 400 digits of seconds",
            backs_off=True,
        ),
        Mode(
            "forbidden_remaining_0",
            fixed(lambda p: b'{"message": "rate limited"}', 403, {"x-ratelimit-remaining": "0"}),
            "throttled",
            "throttled",
            "a 403 with X-RateLimit-Remaining: 0",
        ),
        Mode(
            "redirect",
            fixed(
                lambda p: b"", 302, {"location": "https://u:CANARY@elsewhere.test/?token=CANARY"}
            ),
            "invalid_response",
            "invalid_response",
            "a redirect with credentials in it",
        ),
    ]
}
