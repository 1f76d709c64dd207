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


@dataclass
class ShardStatus:
    """This replica's shard and its share: targets it owns of those configured."""

    index: int = 0
    count: int = 1
    owned_targets: int = 0
    configured_targets: int = 0


class RuntimeCollector(Collector):
    def __init__(
        self,
        status: ReloadStatus,
        keys: KeyFiles,
        config: Callable[[], ExporterConfig],
        shard: Callable[[], ShardStatus] = ShardStatus,
    ):
        self.status = status
        self.keys = keys
        self.config = config
        self.shard = shard

    def _shard_families(self) -> Iterator[Metric]:
        shard = self.shard()
        labels = [str(shard.index), str(shard.count)]
        info = GaugeMetricFamily(
            "saas_exporter_shard_info",
            "This replica's shard: --shard.index of --shard.count (0 of 1 unsharded).",
            labels=["shard_index", "shard_count"],
        )
        info.add_metric(labels, 1)
        owned = GaugeMetricFamily(
            "saas_exporter_shard_owned_targets",
            "Targets (account probes and status pages) this shard probes; summed over the "
            "shards of one shard_count it equals saas_exporter_configured_targets.",
            labels=["shard_index", "shard_count"],
        )
        owned.add_metric(labels, shard.owned_targets)
        configured = GaugeMetricFamily(
            "saas_exporter_configured_targets",
            "Targets in the whole config, every shard's included.",
        )
        configured.add_metric([], shard.configured_targets)
        yield from (info, owned, configured)

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
        yield from self._shard_families()
