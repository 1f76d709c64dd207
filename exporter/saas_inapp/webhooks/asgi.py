"""An ASGI app that verifies Klaviyo webhooks and hands accepted events to a handler.

    verifier = KlaviyoWebhookVerifier(os.environ["KLAVIYO_WEBHOOK_SECRET"])
    app = KlaviyoWebhookASGIApp(verifier, handle)   # handle(outcome), sync or async

Mount it at the webhook's URL (Starlette/FastAPI: `app.mount("/webhooks/klaviyo", ...)`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from saas_inapp.webhooks.klaviyo import KlaviyoWebhookVerifier
from saas_inapp.webhooks.outcome import VerificationOutcome
from saas_inapp.webhooks.responses import (
    DEFAULT_MAX_BODY_BYTES,
    BodyRejected,
    body_too_large,
    status_for,
)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Handler = Callable[[VerificationOutcome], Awaitable[None] | None]


class KlaviyoWebhookASGIApp:
    """If `handler` raises, the events are released for the vendor's retry and the
    error propagates (the server answers 500)."""

    def __init__(
        self,
        verifier: KlaviyoWebhookVerifier,
        handler: Handler,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.verifier = verifier
        self.handler = handler
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"expected an http scope, got {scope['type']!r}")
        if scope["method"] != "POST":
            await _respond(send, 405, "expected POST", [(b"allow", b"POST")])
            return
        body = await _read_body(receive, self.max_body_bytes)
        if isinstance(body, BodyRejected):
            await _respond(send, body.status, self.verifier.malformed(body.reason).reason)
            return
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        outcome = self.verifier.verify(headers, body)
        if outcome.accepted:
            try:
                result = self.handler(outcome)
                if inspect.isawaitable(result):
                    await result
            except BaseException:
                self.verifier.release(outcome)
                raise
        await _respond(send, status_for(outcome), outcome.reason)


async def _read_body(receive: Receive, limit: int) -> bytes | BodyRejected:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return BodyRejected(400, "body: the client disconnected before sending it all")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return BodyRejected(413, body_too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(
    send: Send, status: int, text: str, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = (text + "\n").encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(payload)).encode("ascii")),
    ]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + (extra_headers or []),
        }
    )
    await send({"type": "http.response.body", "body": payload})
