"""Webhook delivery health: how late deliveries arrive, and when each webhook last
delivered, so a stream that stops (or lags) pages instead of going unnoticed.

Recorded only for authentic deliveries (signature checked, body parsed, webhook id
matching), so forged requests cannot create series: lag for every authentic delivery
(valid, stale or duplicate: a late retry is exactly the lag to see), the last valid
delivery's time, and each webhook's quiet period (the rule pack's quiet alert compares
the two). At most MAX_WEBHOOKS webhook ids get their own series; deliveries of further
ids are recorded under webhook="other".
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from saas_inapp.metrics import InAppMetrics

DEFAULT_QUIET_PERIOD_SECONDS = 3600.0
MAX_WEBHOOKS = 100
OTHER = "other"


class DeliveryHealth:
    def __init__(
        self,
        metrics: InAppMetrics,
        vendor: str,
        quiet_period_seconds: float = DEFAULT_QUIET_PERIOD_SECONDS,
        quiet_periods: Mapping[str, float] | None = None,
    ) -> None:
        for name, value in {"": quiet_period_seconds, **(quiet_periods or {})}.items():
            if value <= 0:
                where = f"quiet_periods[{name!r}]" if name else "quiet_period_seconds"
                raise ValueError(f"{where} must be positive, got {value}")
        self._metrics = metrics
        self._vendor = vendor
        self._default_quiet = quiet_period_seconds
        self._quiet = dict(quiet_periods or {})
        self._lock = threading.Lock()
        self._known: set[str] = set()
        # Declared webhooks have a quiet period from the start, before any delivery.
        for webhook_id in self._quiet:
            self._label(webhook_id)

    def _label(self, webhook_id: str) -> str:
        with self._lock:
            if webhook_id in self._known:
                return webhook_id
            if len(self._known) >= MAX_WEBHOOKS:
                return OTHER
            self._known.add(webhook_id)
        quiet = self._quiet.get(webhook_id, self._default_quiet)
        self._metrics.webhook_quiet_period.labels(vendor=self._vendor, webhook=webhook_id).set(
            quiet
        )
        return webhook_id

    def delivered(self, webhook_id: str, lag_seconds: float) -> None:
        """An authentic delivery arrived `lag_seconds` after its event's timestamp (a
        clock ahead of ours counts as 0)."""
        webhook = self._label(webhook_id)
        histogram = self._metrics.webhook_lag.labels(vendor=self._vendor, webhook=webhook)
        histogram.observe(max(0.0, lag_seconds))

    def valid(self, webhook_id: str, now: float) -> None:
        webhook = self._label(webhook_id)
        if webhook != OTHER:
            gauge = self._metrics.webhook_last_valid.labels(vendor=self._vendor, webhook=webhook)
            gauge.set(now)
