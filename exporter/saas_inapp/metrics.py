"""The in-app metric families of docs/metrics.md, registered once per registry.

`saas_inapp.instrument` and `saas_inapp.webhooks` both record into these; an
application may embed them in its own CollectorRegistry or use the global one.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

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


# The SDK's backoff sleeps: 0.5 s growing by 1.5x per retry, up to its max_delay (60 s).
RETRY_SLEEP_BUCKETS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Receipt minus the event's meta.timestamp: seconds for a healthy stream, the verifier's
# 5-minute tolerance, and the hours a stalled vendor queue takes to drain.
WEBHOOK_LAG_BUCKETS: tuple[float, ...] = (
    1.0,
    5.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
    3600.0,
    14400.0,
)


@dataclass(frozen=True)
class InAppMetrics:
    requests: Counter
    request_duration: Histogram
    webhook_verifications: Counter
    # Rate-limit headroom the application's own responses carry (per route template).
    ratelimit_limit: Gauge
    ratelimit_remaining: Gauge
    ratelimit_reset: Gauge
    ratelimit_observed: Gauge
    retry_after: Gauge
    ratelimit_header_invalid: Counter
    retry_sleep: Histogram
    # The API revision the application sends.
    revision_info: Gauge
    revision_deprecation: Gauge
    revision_retirement: Gauge
    # Webhook delivery health.
    webhook_lag: Histogram
    webhook_last_valid: Gauge
    webhook_quiet_period: Gauge
    webhook_previous_secret: Counter


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


_HEADROOM = ["vendor", "account", "endpoint"]


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
        ratelimit_limit=Gauge(
            "saas_api_ratelimit_limit",
            "Requests allowed per window (window length in seconds), from the latest "
            "application response's rate-limit headers on the route.",
            [*_HEADROOM, "window"],
            registry=registry,
        ),
        ratelimit_remaining=Gauge(
            "saas_api_ratelimit_remaining",
            "Requests left in the current window, from the latest application response "
            "on the route; 0 after a 429 without headers.",
            _HEADROOM,
            registry=registry,
        ),
        ratelimit_reset=Gauge(
            "saas_api_ratelimit_reset_seconds",
            "Seconds until the rate-limit window resets, from the latest application "
            "response on the route.",
            _HEADROOM,
            registry=registry,
        ),
        ratelimit_observed=Gauge(
            "saas_api_ratelimit_observed_timestamp_seconds",
            "Unix time of the latest application response on the route that carried "
            "rate-limit headers (or a 429): how fresh the headroom values are.",
            _HEADROOM,
            registry=registry,
        ),
        retry_after=Gauge(
            "saas_api_retry_after_seconds",
            "Retry-After of the latest application response on the route, 0 when none.",
            _HEADROOM,
            registry=registry,
        ),
        ratelimit_header_invalid=Counter(
            "saas_api_ratelimit_header_invalid_total",
            "Rate-limit headers of application responses that could not be parsed, by name.",
            ["vendor", "header"],
            registry=registry,
        ),
        retry_sleep=Histogram(
            "saas_api_retry_sleep_seconds",
            "Time the vendor SDK slept before retrying a call (backoff, Retry-After waits).",
            ["vendor"],
            buckets=RETRY_SLEEP_BUCKETS,
            registry=registry,
        ),
        revision_info=Gauge(
            "saas_api_revision_info",
            "API revision the application sends.",
            ["vendor", "revision"],
            registry=registry,
        ),
        revision_deprecation=Gauge(
            "saas_api_revision_deprecation_timestamp_seconds",
            "When the API revision the application sends becomes deprecated.",
            ["vendor"],
            registry=registry,
        ),
        revision_retirement=Gauge(
            "saas_api_revision_retirement_timestamp_seconds",
            "When the API revision the application sends is retired.",
            ["vendor"],
            registry=registry,
        ),
        webhook_lag=Histogram(
            "saas_webhook_delivery_lag_seconds",
            "Webhook delivery lag: receipt time minus the event's meta.timestamp, for every "
            "authentic delivery (valid, stale or duplicate).",
            ["vendor", "webhook"],
            buckets=WEBHOOK_LAG_BUCKETS,
            registry=registry,
        ),
        webhook_last_valid=Gauge(
            "saas_webhook_last_valid_delivery_timestamp_seconds",
            "Unix time of the latest valid delivery per webhook id.",
            ["vendor", "webhook"],
            registry=registry,
        ),
        webhook_quiet_period=Gauge(
            "saas_webhook_quiet_period_seconds",
            "How long the webhook may stay quiet before the quiet alert fires (configured "
            "in the application).",
            ["vendor", "webhook"],
            registry=registry,
        ),
        webhook_previous_secret=Counter(
            "saas_webhook_previous_secret_accepted_total",
            "Valid deliveries signed with the previous signing secret, during a rotation's "
            "overlap.",
            ["vendor"],
            registry=registry,
        ),
    )
