"""The in-app metric families of docs/metrics.md, registered once per registry.

`saas_inapp.instrument` and `saas_inapp.webhooks` both record into these; an
application may embed them in its own CollectorRegistry or use the global one.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

# Resolves the checklist's "P95 > 5 s" threshold: 2.5, 5 and 7.5 s are boundaries.
# The same boundaries as the exporter's saas_probe_latency_seconds.
REQUEST_DURATION_BUCKETS: tuple[float, ...] = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    15.0,
    30.0,
)


@dataclass(frozen=True)
class InAppMetrics:
    requests: Counter
    request_duration: Histogram
    webhook_verifications: Counter


_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, InAppMetrics] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def inapp_metrics(registry: CollectorRegistry | None = None) -> InAppMetrics:
    """The in-app metric families in `registry` (default: the global REGISTRY).

    Creates them on first use; later calls with the same registry share them, so
    any number of clients and verifiers can record into one registry.
    """
    target = REGISTRY if registry is None else registry
    with _lock:
        found = _by_registry.get(target)
        if found is None:
            found = _register(target)
            _by_registry[target] = found
        return found


def _register(registry: CollectorRegistry) -> InAppMetrics:
    return InAppMetrics(
        requests=Counter(
            "saas_api_requests_total",
            "Application requests to a SaaS vendor, by route template and HTTP status "
            '(or "timeout" / "connection_error" when there was no response).',
            ["vendor", "endpoint", "code"],
            registry=registry,
        ),
        request_duration=Histogram(
            "saas_api_request_duration_seconds",
            "Application request latency to a SaaS vendor, until the response headers.",
            ["vendor", "endpoint"],
            buckets=REQUEST_DURATION_BUCKETS,
            registry=registry,
        ),
        webhook_verifications=Counter(
            "saas_webhook_verifications_total",
            "Incoming vendor webhooks checked, by result.",
            ["vendor", "result"],
            registry=registry,
        ),
    )
