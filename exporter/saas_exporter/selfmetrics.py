"""The exporter's own state as metrics: config reloads, shards, the schedule and the
accounts files, rendered live at every scrape (``RuntimeCollector``); when each
account's key was last loaded (never the key), rendered once per change
(``KeyLoadCollector``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .config import ExporterConfig
from .config.accounts_dir import AccountFiles
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


@dataclass
class ScheduleStatus:
    """The scheduler's start-up window and its scheduled runs, late ones apart."""

    startup_window_seconds: float = 0.0
    scheduled_runs: int = 0
    late_runs: int = 0


class RuntimeCollector(Collector):
    def __init__(
        self,
        status: ReloadStatus,
        shard: Callable[[], ShardStatus] = ShardStatus,
        schedule: Callable[[], ScheduleStatus] = ScheduleStatus,
        account_files: AccountFiles | None = None,
    ):
        self.status = status
        self.shard = shard
        self.schedule = schedule
        self.account_files = account_files or AccountFiles()

    def _account_file_families(self) -> Iterator[Metric]:
        files = self.account_files
        loaded = GaugeMetricFamily(
            "saas_exporter_accounts_file_loaded",
            "Per accounts_dir file: 1 when its current version is loaded, 0 when it was "
            "refused (its last good version, if any, keeps running; the log says why).",
            labels=["file"],
        )
        for file in sorted({*files.loaded, *files.refused}):
            loaded.add_metric([Path(file).name], 0 if file in files.refused else 1)
        yield loaded

    def _schedule_families(self) -> Iterator[Metric]:
        schedule = self.schedule()
        window = GaugeMetricFamily(
            "saas_exporter_startup_window_seconds",
            "Seconds the first probe round is spread over: global.startup_spread, longer "
            "when that many targets would need more than global.max_concurrency.",
        )
        window.add_metric([], schedule.startup_window_seconds)
        runs = CounterMetricFamily(
            "saas_exporter_scheduled_probes", "Probes the scheduler started on their schedule."
        )
        runs.add_metric([], schedule.scheduled_runs)
        late = CounterMetricFamily(
            "saas_exporter_late_probes",
            "Scheduled probes that started later than 10% of their interval after they were "
            "due: the exporter is short of capacity (global.max_concurrency, CPU).",
        )
        late.add_metric([], schedule.late_runs)
        yield from (window, runs, late)

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
        yield from (successful, success_at)
        yield from self._shard_families()
        yield from self._schedule_families()
        yield from self._account_file_families()


class KeyLoadCollector(Collector):
    """When each account's key was last loaded, and refused key-file changes: one series
    per account, changing only at a reload or a key-file change (the renderer's live
    version), so rendered once per change, not at every scrape."""

    def __init__(self, status: ReloadStatus, keys: KeyFiles, config: Callable[[], ExporterConfig]):
        self.status = status
        self.keys = keys
        self.config = config

    def collect(self) -> Iterator[Metric]:
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
        yield from (loaded, failures)
