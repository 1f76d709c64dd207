"""What a probe makes of hostile or unusual answers: bounded bodies and headers,
throttling read by evidence, the vendor's words in every error-body shape.
The fake vendor is an in-process httpx transport, so a gzip bomb or an endless body is
a generator, not gigabytes."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib

import httpx
import pytest

from saas_exporter.config import ResponseLimits
from saas_exporter.probes import http as http_probe
from saas_exporter.probes import prober_for
from saas_exporter.probes.http import error_detail, exchange, vendor_message
from tests.conftest import api_vendor_config, klaviyo_config, target

LIMITS = ResponseLimits(max_body_bytes=64 * 1024, max_header_bytes=4096)


def zeros_gzip_stream(blocks: int | None):
    """A gzip stream of zeros, 1 MiB per block; endless with ``blocks=None``."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    header = z.compress(b"\0" * (1 << 20)) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(b"\0" * (1 << 20)) + z.flush(zlib.Z_FULL_FLUSH)

    async def stream():
        yield header
        n = 1
        while blocks is None or n < blocks:
            yield block
            n += 1

    return stream()


def answer(status: int, headers=None, body: bytes | object = b"", json_body=None):
    """What the fake vendor sends: the body always arrives as a stream, as from a socket
    (httpx's MockTransport would otherwise hand over a body already read and decoded)."""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = {"content-type": "application/json", **(headers or {})}
    if isinstance(body, bytes):
        content = body

        async def chunks():
            for i in range(0, len(content), 16384):
                yield content[i : i + 16384]

        body = chunks()
    return httpx.Response(status, headers=headers, content=body)


def network(handler):
    return httpx.MockTransport(handler)


def fetch(handler, limits: ResponseLimits = LIMITS, timeout: float = 2.0):
    async def go():
        async with httpx.AsyncClient(transport=network(handler)) as client:
            return await exchange(client, "http://vendor.test/x", {}, timeout, limits=limits)

    return asyncio.run(go())


def test_a_gzip_bomb_is_stopped_at_the_limit_counted_after_decompression():
    ex = fetch(lambda r: answer(200, {"content-encoding": "gzip"}, zeros_gzip_stream(None)))
    assert (ex.response, ex.transport_reason, ex.http_status) == (None, "too_large", 200)
    assert ex.transport_error == ("body larger than 64 KiB (global.limits.max_body_bytes); dropped")


def test_gzip_inside_gzip_is_bounded_at_every_layer():
    inner = gzip.compress(b"\0" * (4 << 20))
    ex = fetch(
        lambda r: answer(200, headers={"content-encoding": "gzip, gzip"}, body=gzip.compress(inner))
    )
    assert ex.transport_reason == "too_large"


def test_an_endless_chunked_body_is_stopped_at_the_limit():
    async def endless():
        while True:
            yield b"x" * 8192

    ex = fetch(lambda r: answer(200, body=endless()))
    assert (ex.transport_reason, ex.http_status) == ("too_large", 200)


def test_a_body_at_the_limit_is_read_one_byte_more_is_not():
    body = b"a" * LIMITS.max_body_bytes
    assert fetch(lambda r: answer(200, body=body)).response.content == body
    over = fetch(lambda r: answer(200, body=body + b"a"))
    assert over.transport_reason == "too_large"


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("gzip", gzip.compress(b'{"ok": true}', mtime=0)),
        ("deflate", zlib.compress(b'{"ok": true}')),
        # Raw deflate without the zlib wrapper, as some servers send it.
        ("deflate", zlib.compress(b'{"ok": true}', wbits=-zlib.MAX_WBITS)),
        ("identity", b'{"ok": true}'),
    ],
)
def test_compressed_answers_are_decoded(encoding, payload):
    ex = fetch(lambda r: answer(200, headers={"content-encoding": encoding}, body=payload))
    assert ex.response.content == b'{"ok": true}'
    assert "content-encoding" not in ex.response.headers


def test_we_ask_only_for_codings_we_can_bound_and_refuse_others():
    seen = []

    def handler(request):
        seen.append(request.headers["accept-encoding"])
        return answer(200, {"content-encoding": "br"}, b"\x0b\x02")

    ex = fetch(handler)
    assert seen == ["gzip, deflate"]
    assert (ex.transport_reason, ex.transport_error) == (
        "invalid_response",
        "content-encoding 'br' was not asked for",
    )


def test_broken_gzip_is_an_invalid_response():
    ex = fetch(lambda r: answer(200, headers={"content-encoding": "gzip"}, body=b"not gzip"))
    assert (ex.transport_reason, ex.transport_error) == (
        "invalid_response",
        "body is not valid gzip data",
    )


def test_headers_over_the_limit_are_too_large():
    headers = [(f"x-filler-{i}", "y" * 100) for i in range(50)]
    ex = fetch(lambda r: answer(200, headers=headers, body=b"{}"))
    assert (ex.transport_reason, ex.http_status) == ("too_large", 200)
    assert ex.transport_error.startswith("response headers of 5.")
    assert ex.transport_error.endswith("over 4 KiB (global.limits.max_header_bytes)")


def test_a_body_trickling_past_the_timeout_is_a_timeout():
    async def trickle():
        while True:
            yield b" "
            await asyncio.sleep(0.05)

    ex = fetch(lambda r: answer(200, body=trickle()), timeout=0.3)
    assert (ex.transport_reason, ex.transport_error) == (
        "timeout",
        "no complete response within 0.3s",
    )


def probe_with(handler, config, probe):
    probe_target = target(config, probe)

    async def go():
        async with httpx.AsyncClient(transport=network(handler)) as client:
            return await prober_for(probe_target)(probe_target, client)

    return asyncio.run(go())


def klaviyo(probe="profiles"):
    return klaviyo_config("http://vendor.test"), probe


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        # GitHub throttles with a 403 and X-RateLimit-Remaining: 0.
        (403, {"x-ratelimit-remaining": "0"}, "throttled"),
        (403, {"retry-after": "30"}, "throttled"),
        (400, {"retry-after": "Mon Jun  3 11:30:12 2019"}, "throttled"),
        (400, {"ratelimit": '"default";r=0;t=10'}, "throttled"),
        # Without evidence a 403 is a key problem and a 400 an unexpected answer.
        (403, {"x-ratelimit-remaining": "5"}, "forbidden"),
        (400, {}, "client_error"),
        (429, {}, "throttled"),
    ],
)
def test_throttling_is_read_by_evidence_not_status(status, headers, reason):
    config, probe = klaviyo()
    result = probe_with(
        lambda r: answer(status, headers=headers, json_body={"errors": []}), config, probe
    )
    assert (result.failure_reason, result.http_status) == (reason, status)


def test_a_generic_403_with_remaining_zero_is_throttled():
    config = api_vendor_config(
        "generic",
        "http://vendor.test",
        {"path": "/v1/me", "auth_header": "x-api-key"},
    )
    result = probe_with(
        lambda r: answer(403, headers={"x-ratelimit-remaining": "0"}, json_body={}),
        config,
        "api",
    )
    assert result.failure_reason == "throttled"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # RFC 9457 problem+json
        (
            {"type": "about:blank", "title": "Not Found", "detail": "profile 42 does not exist"},
            "Not Found: profile 42 does not exist",
        ),
        ({"title": "Gone"}, "Gone"),
        # Nested messages
        ({"message": {"message": "revision retired", "code": 410}}, "revision retired"),
        ({"error": {"message": "quota exceeded", "type": "rate_limit"}}, "quota exceeded"),
        ({"error": "invalid_token", "error_description": "token expired"}, "token expired"),
        (
            {"errors": [{"detail": "Incorrect authentication credentials."}]},
            "Incorrect authentication credentials.",
        ),
        ({"message": "plain"}, "plain"),
        ({"errors": ["just text"]}, "just text"),
    ],
)
def test_the_vendor_words_in_every_error_body_shape(body, text):
    response = httpx.Response(404, json=body)
    assert error_detail(response) == text


def test_error_text_is_cut_and_cleaned():
    response = httpx.Response(400, json={"message": "bad\nthing\x00" + "x" * 500})
    detail = error_detail(response)
    assert detail.startswith("bad thing x")
    assert len(detail) == 200 and detail.endswith("…")


def test_vendor_message_never_recurses_without_bound():
    body: dict = {"message": None}
    node = body
    for _ in range(50):
        node["message"] = {"message": None}
        node = node["message"]
    assert vendor_message(body) is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "200: body is nested deeper than 64 levels"),
        (
            b'{"data": [' + b"9" * 5000 + b"]}",
            "200: body has a number of 5000 characters (at most 40)",
        ),
        (b'{"data": [1e999]}', "200: body has a number out of range (1e999)"),
        (b'{"data": NaN}', "200: body has NaN, which is not a JSON number"),
        (b"\xff\xfe", "200: body is not JSON"),
    ],
)
def test_hostile_json_is_an_invalid_response_never_a_crash(body, error):
    config, probe = klaviyo("accounts")
    result = probe_with(lambda r: answer(200, body=body), config, probe)
    assert (result.success, result.failure_reason, result.error) == (
        False,
        "invalid_response",
        error,
    )


def test_a_huge_account_id_becomes_a_cut_label_value():
    config, probe = klaviyo("accounts")
    body = {"data": [{"type": "account", "id": "A" * 10_000, "attributes": {}}]}
    result = probe_with(lambda r: answer(200, json_body=body), config, probe)
    assert result.success
    assert len(result.account.account_id) == 256
    assert result.account.account_id.endswith("…")


def test_statuspage_probe_answer_over_the_body_limit_is_too_large():
    config = klaviyo_config("http://vendor.test", "http://status.test")
    big = json.dumps({"status": {"indicator": "none"}, "pad": "x" * (2 << 20)}).encode()
    result = probe_with(lambda r: answer(200, body=big), config, "statuspage")
    assert (result.failure_reason, result.http_status) == ("too_large", 200)
    assert result.error == "body larger than 1 MiB (global.limits.max_body_bytes); dropped"


@pytest.mark.parametrize(
    ("events", "name"),
    [
        ([], None),
        (["connection.connect_tcp.started"], "ConnectTimeout"),
        (
            [
                "connection.connect_tcp.started",
                "connection.connect_tcp.complete",
                "connection.start_tls.started",
            ],
            "ConnectTimeout",
        ),
        (
            ["connection.connect_tcp.complete", "http11.send_request_headers.started"],
            "WriteTimeout",
        ),
        (
            [
                "http11.send_request_headers.complete",
                "http11.send_request_body.complete",
                "http11.receive_response_headers.started",
            ],
            "ReadTimeout",
        ),
        (
            [
                "http11.receive_response_headers.started",
                "http11.receive_response_headers.complete",
                "http11.receive_response_body.started",
            ],
            None,
        ),
    ],
)
def test_a_deadline_before_the_answer_is_named_by_the_step_it_cut(events, name):
    progress = http_probe._Progress()
    for event in events:
        asyncio.run(progress(event, {}))
    assert progress.timeout_name == name
