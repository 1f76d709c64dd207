"""Shared by the in-app instrumentation and webhook tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

SECRET = "whsec-test-4f1c9a"
WEBHOOK_ID = "01JWEBHOOK0000000000000000"
NOW = 1_790_000_000.0  # 2026-09-21T14:13:20Z


class DurationClock:
    """A clock for RequestRecorder: each request reads it twice (start, end), and the
    n-th request takes durations[n] seconds."""

    def __init__(self, durations: Iterable[float]) -> None:
        self._durations = list(durations)
        self._now = 0.0
        self._reads = 0

    def __call__(self) -> float:
        if self._reads % 2 == 1:
            self._now += self._durations[self._reads // 2]
        self._reads += 1
        return self._now


def requests_total(registry: CollectorRegistry, vendor: str, endpoint: str, code: str) -> float:
    labels = {"vendor": vendor, "endpoint": endpoint, "code": code}
    return registry.get_sample_value("saas_api_requests_total", labels) or 0.0


def series(registry: CollectorRegistry, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called `name` in `registry`, keyed by its sorted labels."""
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == name
    }


def verifications(registry: CollectorRegistry, vendor: str = "klaviyo") -> dict[str, float]:
    return {
        dict(labels)["result"]: value
        for labels, value in series(registry, "saas_webhook_verifications_total").items()
        if dict(labels)["vendor"] == vendor
    }


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat()


def delivery_body(
    event_ids: Iterable[str] = ("evt-1",),
    *,
    sent_at: float = NOW,
    webhook_id: str = WEBHOOK_ID,
) -> bytes:
    document: dict[str, Any] = {
        "data": [
            {
                "external_id": event_id,
                "topic": "event:klaviyo.received_email",
                "payload": {"data": {"type": "event", "id": event_id}},
            }
            for event_id in event_ids
        ],
        "meta": {
            "klaviyo_account_id": "WBhXHN",
            "klaviyo_webhook_id": webhook_id,
            "timestamp": iso(sent_at),
        },
    }
    return json.dumps(document).encode("utf-8")


def signed_headers(
    body: bytes, *, timestamp: str = "1790000000", secret: str = SECRET
) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256)
    return {
        "Klaviyo-Webhook-Id": WEBHOOK_ID,
        "Klaviyo-Timestamp": timestamp,
        "Klaviyo-Signature": signature.hexdigest(),
    }


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[str]:
    """A URL whose server accepts TCP connections (the kernel's backlog does) and
    never answers: every request to it ends in a read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
