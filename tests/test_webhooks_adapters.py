"""The WSGI and ASGI webhook apps, driven by real WSGI/ASGI clients."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry
from saas_inapp.webhooks import (
    KlaviyoWebhookASGIApp,
    KlaviyoWebhookVerifier,
    VerificationOutcome,
    klaviyo_webhook_wsgi_app,
)
from werkzeug.test import Client

from tests.inapp_support import NOW, SECRET, delivery_body, signed_headers, verifications


class Handled:
    def __init__(self, fail: bool = False) -> None:
        self.event_ids: list[str] = []
        self.fail = fail

    def __call__(self, outcome: VerificationOutcome) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.event_ids += [event["external_id"] for event in outcome.events]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def verifier(registry) -> KlaviyoWebhookVerifier:
    return KlaviyoWebhookVerifier(SECRET, registry=registry, clock=lambda: NOW)


def wsgi_post(app, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    response = Client(app).post("/", data=body, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def asgi_post(app, body: bytes, headers: dict[str, str], method: str = "POST") -> tuple[int, str]:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.request(method, "/", content=body, headers=headers)

    response = asyncio.run(run())
    return response.status_code, response.text


def wsgi_app(verifier, handler, **options):
    return klaviyo_webhook_wsgi_app(verifier, handler, **options)


def asgi_app(verifier, handler, **options):
    return KlaviyoWebhookASGIApp(verifier, handler, **options)


ADAPTERS = [(wsgi_app, wsgi_post), (asgi_app, asgi_post)]


@pytest.mark.parametrize(("make_app", "post"), ADAPTERS)
def test_answers_per_outcome_and_hands_over_only_new_events(registry, verifier, make_app, post):
    handled = Handled()
    app = make_app(verifier, handled)
    body = delivery_body(["evt-1", "evt-2"])
    headers = signed_headers(body)

    assert post(app, body, headers) == (200, "verified\n")
    assert post(app, body, headers) == (
        200,
        "all 2 event(s) of this delivery were accepted before\n",
    )
    assert post(app, body + b" ", headers) == (
        401,
        "header Klaviyo-Signature does not match the body and Klaviyo-Timestamp\n",
    )
    assert post(app, body, {}) == (400, "missing header Klaviyo-Webhook-Id\n")
    stale = delivery_body(["evt-3"], sent_at=NOW - 900)
    assert post(app, stale, signed_headers(stale)) == (
        400,
        "body field meta.timestamp is 900 s old; tolerance is 300 s\n",
    )
    assert handled.event_ids == ["evt-1", "evt-2"]
    assert verifications(registry) == {
        "valid": 1.0,
        "duplicate": 1.0,
        "invalid_signature": 1.0,
        "stale": 1.0,
        "malformed": 1.0,
    }


@pytest.mark.parametrize(("make_app", "post"), ADAPTERS)
def test_oversized_body_is_refused_and_counted(registry, verifier, make_app, post):
    app = make_app(verifier, Handled(), max_body_bytes=100)
    body = delivery_body()

    assert post(app, body, signed_headers(body)) == (413, "body: larger than 100 bytes\n")
    assert verifications(registry)["malformed"] == 1.0


@pytest.mark.parametrize(("make_app", "post"), ADAPTERS)
def test_failed_handler_releases_the_events_for_the_retry(registry, verifier, make_app, post):
    body = delivery_body(["evt-1"])
    headers = signed_headers(body)
    with pytest.raises(RuntimeError, match=r"^database down$"):
        post(make_app(verifier, Handled(fail=True)), body, headers)

    handled = Handled()
    assert post(make_app(verifier, handled), body, headers) == (200, "verified\n")
    assert handled.event_ids == ["evt-1"]


def test_wsgi_refuses_other_methods_uncounted(registry, verifier):
    response = Client(wsgi_app(verifier, Handled())).get("/")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    assert sum(verifications(registry).values()) == 0.0


def test_asgi_refuses_other_methods_uncounted(registry, verifier):
    assert asgi_post(asgi_app(verifier, Handled()), b"", {}, method="GET") == (
        405,
        "expected POST\n",
    )
    assert sum(verifications(registry).values()) == 0.0


def test_asgi_awaits_an_async_handler(registry, verifier):
    seen: list[str] = []

    async def handler(outcome: VerificationOutcome) -> None:
        await asyncio.sleep(0)
        seen.extend(event["external_id"] for event in outcome.events)

    body = delivery_body(["evt-7"])
    assert asgi_post(asgi_app(verifier, handler), body, signed_headers(body)) == (200, "verified\n")
    assert seen == ["evt-7"]


def chunked_environ(body: bytes, headers: dict[str, str], terminated: bool) -> dict:
    """A chunked request as a WSGI server hands it over: no CONTENT_LENGTH; a server that
    de-chunks says so with wsgi.input_terminated."""
    import io

    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return environ


def call_wsgi(app, environ) -> tuple[str, str]:
    status = []
    payload = b"".join(app(environ, lambda s, h: status.append(s)))
    return status[0], payload.decode()


def test_wsgi_reads_a_dechunked_request(registry, verifier):
    body = delivery_body(["evt-9"])
    environ = chunked_environ(body, signed_headers(body), terminated=True)
    handled = Handled()
    assert call_wsgi(wsgi_app(verifier, handled), environ) == ("200 OK", "verified\n")
    assert handled.event_ids == ["evt-9"]


def test_wsgi_chunked_request_without_dechunking_is_411_not_a_forgery(registry, verifier):
    # A genuine delivery used to read as an empty body, so it failed as a forgery (401).
    body = delivery_body(["evt-9"])
    environ = chunked_environ(body, signed_headers(body), terminated=False)
    status, text = call_wsgi(wsgi_app(verifier, Handled()), environ)
    assert status == "411 Length Required"
    assert text == (
        "body: chunked, and this WSGI server does not de-chunk it (no wsgi.input_terminated); "
        "send Content-Length or use a server that does\n"
    )
    assert verifications(registry)["invalid_signature"] == 0
    assert verifications(registry)["malformed"] == 1


@pytest.mark.parametrize(("make_app", "post"), ADAPTERS)
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "body is nested deeper than 64 levels"),
        (
            b'{"data": [], "n": ' + b"7" * 5000 + b"}",
            "body has a number of 5000 characters (at most 40)",
        ),
    ],
)
def test_hostile_signed_bodies_are_400_and_counted_never_500(
    registry, verifier, make_app, post, body, reason
):
    status, text = post(make_app(verifier, Handled()), body, signed_headers(body))
    assert (status, text) == (400, reason + "\n")
    assert verifications(registry)["malformed"] == 1
