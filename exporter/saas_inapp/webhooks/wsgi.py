"""A WSGI app that verifies Klaviyo webhooks and hands accepted events to a handler.

    verifier = KlaviyoWebhookVerifier(os.environ["KLAVIYO_WEBHOOK_SECRET"])
    app = klaviyo_webhook_wsgi_app(verifier, handle)   # handle(outcome) -> None

Mount it at the webhook's URL (e.g. with werkzeug's DispatcherMiddleware, or call
it from a Flask view with `request.environ`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from saas_inapp.webhooks.klaviyo import KlaviyoWebhookVerifier
from saas_inapp.webhooks.outcome import VerificationOutcome
from saas_inapp.webhooks.responses import (
    DEFAULT_MAX_BODY_BYTES,
    BodyRejected,
    body_too_large,
    status_for,
)

Handler = Callable[[VerificationOutcome], None]
StartResponse = Callable[..., Any]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
}


def klaviyo_webhook_wsgi_app(
    verifier: KlaviyoWebhookVerifier,
    handler: Handler,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """If `handler` raises, the events are released for the vendor's retry and the
    error propagates (the server answers 500)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _respond(start_response, 405, "expected POST", [("Allow", "POST")])
        body = _read_body(environ, max_body_bytes)
        if isinstance(body, BodyRejected):
            return _respond(start_response, body.status, verifier.malformed(body.reason).reason)
        outcome = verifier.verify(_headers(environ), body)
        if outcome.accepted:
            try:
                handler(outcome)
            except BaseException:
                verifier.release(outcome)
                raise
        return _respond(start_response, status_for(outcome), outcome.reason)

    return app


def _read_body(environ: dict[str, Any], limit: int) -> bytes | BodyRejected:
    stream = environ["wsgi.input"]
    text = environ.get("CONTENT_LENGTH") or ""
    if not text:
        # Chunked requests have no length; servers that de-chunk say so. One that does
        # not would hand us an empty or framed body, which would read as a forgery (401):
        # refuse it as what it is instead.
        if environ.get("wsgi.input_terminated"):
            body = stream.read(limit + 1)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return BodyRejected(
                411,
                "body: chunked, and this WSGI server does not de-chunk it "
                "(no wsgi.input_terminated); send Content-Length or use a server that does",
            )
        else:
            body = b""
    elif not text.isdigit():
        return BodyRejected(400, "header Content-Length: expected a byte count")
    elif int(text) > limit:
        return BodyRejected(413, body_too_large(limit))
    else:
        body = stream.read(int(text))
    return BodyRejected(413, body_too_large(limit)) if len(body) > limit else body


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    # WSGI folds repeated headers into one value; the verifier rejects a folded
    # signature because it is no longer 64 hex characters.
    return [
        (key[5:].replace("_", "-"), value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    ]


def _respond(
    start_response: StartResponse,
    status: int,
    text: str,
    extra_headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    payload = (text + "\n").encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))]
    start_response(f"{status} {_REASONS[status]}", headers + (extra_headers or []))
    return [payload]
