"""The exporter's own state as metrics, rendered live at every scrape: config reloads
and when each account's key was last loaded (never the key)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .config import ExporterConfig
from .keyfiles import KeyFiles


@dataclass
class ReloadStatus:
    """As Prometheus's own: the start counts as the first successful load."""

    successful: bool
    success_at: float
    changes: int = 0  # bumped at every reload, so /metrics shows it at once


class RuntimeCollector(Collector):
    def __init__(self, status: ReloadStatus, keys: KeyFiles, config: Callable[[], ExporterConfig]):
        self.status = status
        self.keys = keys
        self.config = config

    def collect(self) -> Iterator[Metric]:
        successful = GaugeMetricFamily(
            "saas_exporter_config_last_reload_successful",
            "1 when the last config load (start, SIGHUP or /-/reload) succeeded, else 0.",
        )
        successful.add_metric([], 1 if self.status.successful else 0)
        success_at = GaugeMetricFamily(
            "saas_exporter_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful config load.",
        )
        success_at.add_metric([], self.status.success_at)
        loaded = GaugeMetricFamily(
            "saas_exporter_key_last_load_timestamp_seconds",
            "Unix time each account's API key was last loaded: at start, at a reload, or "
            "when its key file changed.",
            labels=["vendor", "account"],
        )
        failures = CounterMetricFamily(
            "saas_exporter_key_load_failures",
            "Changed key files whose new key was refused (unreadable, empty or the wrong "
            "shape); the previous key stays in use.",
            labels=["vendor", "account"],
        )
        for vendor in self.config().vendors:
            for account in vendor.accounts:
                who = (vendor.name, account.name)
                # A reload re-reads every key file too.
                at = max(self.keys.loaded_at.get(who, 0.0), self.status.success_at)
                loaded.add_metric(list(who), at)
                failures.add_metric(list(who), self.keys.failures.get(who, 0))
        yield from (successful, success_at, loaded, failures)
