"""What the application's own responses say about its rate-limit budget, and the API
revision its requests carry.

The headers are read with the exporter's own parsers (saas_exporter.ratelimit_headers
and retry_after), so a value means the same in-app as on the probe; a header that does
not parse is counted by name, never raised. As on the probe, a 429 without a remaining
count leaves 0 requests until Retry-After.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry

from saas_exporter.catalog import CATALOG
from saas_exporter.ratelimit_headers import RateLimitInfo, parse_rate_limit_headers
from saas_exporter.retry_after import parse_retry_after
from saas_exporter.revisions import RevisionLifecycle, revision_lifecycle
from saas_inapp.metrics import InAppMetrics, inapp_metrics

THROTTLED = 429
# Revisions exported per vendor: a handful of SDK versions, never a label explosion.
MAX_REVISIONS = 10


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in headers.items()}


class HeadroomRecorder:
    """Records each response's rate-limit headers under (vendor, account, endpoint)."""

    def __init__(self, metrics: InAppMetrics, account: str, wall_clock: Callable[[], float]):
        self._metrics = metrics
        self._account = account
        self._wall_clock = wall_clock

    def record(self, vendor: str, endpoint: str, status: int, headers: Mapping[str, str]) -> None:
        now = self._wall_clock()
        view = _lower(headers)
        parsed = parse_rate_limit_headers(view, now)
        invalid = [item.header for item in parsed.invalid]
        retry_after = None
        if "retry-after" in view:
            try:
                retry_after = parse_retry_after(view["retry-after"], now)
            except ValueError:
                invalid.append("retry-after")
        for header in invalid:
            self._metrics.ratelimit_header_invalid.labels(vendor=vendor, header=header).inc()
        labels = {"vendor": vendor, "account": self._account, "endpoint": endpoint}
        self._metrics.retry_after.labels(**labels).set(retry_after or 0.0)
        info = parsed.info
        if status == THROTTLED and (info is None or info.remaining is None):
            # A 429 without a remaining count: the budget is spent until Retry-After.
            info = RateLimitInfo(
                limits=info.limits if info else {}, remaining=0.0, reset_seconds=retry_after
            )
        if info is None:
            return
        for window, limit in info.limits.items():
            self._metrics.ratelimit_limit.labels(**labels, window=window).set(limit)
        if info.remaining is not None:
            self._metrics.ratelimit_remaining.labels(**labels).set(info.remaining)
        if info.reset_seconds is not None:
            self._metrics.ratelimit_reset.labels(**labels).set(info.reset_seconds)
        self._metrics.ratelimit_observed.labels(**labels).set(now)


class RevisionRecorder:
    """Exports the revisions an application sends, with the oldest one's lifecycle dates,
    so the rule pack's revision alerts cover the application as well as the probe.

    Every revision seen is kept (an application may run two SDK versions): the
    deprecation and retirement gauges are the earliest among them.
    """

    def __init__(self, metrics: InAppMetrics):
        self._metrics = metrics
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}

    def declare(self, vendor: str, revision: str) -> None:
        with self._lock:
            seen = self._seen.setdefault(vendor, set())
            if revision in seen or len(seen) >= MAX_REVISIONS:
                return
            seen.add(revision)
            self._metrics.revision_info.labels(vendor=vendor, revision=revision).set(1)
            lives = []
            for known in seen:
                try:
                    lives.append(revision_lifecycle(known))
                except ValueError:
                    continue  # not a dated revision: its info alone, no lifecycle
            if not lives:
                return
            deprecated = min(life.deprecated for life in lives)
            retired = min(life.retired for life in lives)
            stamp = RevisionLifecycle.timestamp
            self._metrics.revision_deprecation.labels(vendor=vendor).set(stamp(deprecated))
            self._metrics.revision_retirement.labels(vendor=vendor).set(stamp(retired))

    def from_request(self, vendor: str, headers: Mapping[str, str]) -> None:
        """The revision a request carries in the vendor's revision header, if any."""
        kind = CATALOG.kinds.get(vendor)
        name = kind.revision_header if kind else None
        if not name:
            return
        for header, value in headers.items():
            if str(header).lower() == name and str(value).strip():
                self.declare(vendor, str(value).strip())
                return


_revisions: weakref.WeakKeyDictionary[InAppMetrics, RevisionRecorder] = weakref.WeakKeyDictionary()
_revisions_lock = threading.Lock()


def revision_recorder(metrics: InAppMetrics) -> RevisionRecorder:
    """The one revision recorder of a registry's metrics (shared by its clients)."""
    with _revisions_lock:
        found = _revisions.get(metrics)
        if found is None:
            found = _revisions[metrics] = RevisionRecorder(metrics)
        return found


def declare_api_revision(vendor: str, revision: str, registry: CollectorRegistry | None = None):
    """Declares the API revision the application sends to `vendor` (for clients that are
    not instrumented, or to state it before the first call)."""
    revision_recorder(inapp_metrics(registry)).declare(vendor, revision)
