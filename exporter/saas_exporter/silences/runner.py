"""The silences sync inside the exporter (`maintenances.silences` in the config): every
`interval`, from the exporter's own latest status-page results (no extra vendor call).

Its metrics tell whether it keeps up: runs by outcome, the last fully successful run,
and the silences it keeps per vendor. The config is read at every run, so a reload can
turn the sync on, off, or point it elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import httpx
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..config import ExporterConfig
from ..state import TargetState
from .alertmanager import Alertmanager
from .sync import SyncResult, feeds_from_states, sync

log = logging.getLogger(__name__)
OUTCOMES = ("success", "unreadable_page", "alertmanager_error")
# Without the sync configured, how often to look whether a reload turned it on.
IDLE_SECONDS = 30.0
# The first run waits for the start-up probes, at most this long.
FIRST_RUN_WAIT_SECONDS = 60.0


def outcome_of(result: SyncResult) -> str:
    if result.failed:
        return "alertmanager_error"
    return "unreadable_page" if result.unreadable else "success"


class SilenceSyncer(Collector):
    def __init__(
        self,
        config: Callable[[], ExporterConfig],
        states: Callable[[], Iterable[TargetState]],
        all_probed: Callable[[], bool],
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._states = states
        self._all_probed = all_probed
        self._clock = clock
        self._lock = threading.Lock()
        self.runs: Counter[str] = Counter()
        self.last_success_at: float | None = None
        self.managed: dict[str, int] = {}

    def run_once(self) -> SyncResult | None:
        """One sync from the store; None when the config has no maintenances.silences."""
        config = self._config()
        settings = config.maintenances.silences
        if settings is None:
            return None
        feeds = feeds_from_states(config.vendors, self._states())
        with httpx.Client(trust_env=True) as client:
            alertmanager = Alertmanager(settings.alertmanager_url, client)
            result = sync(feeds, alertmanager, self._clock(), settings.margin_seconds)
        self._record(result)
        return result

    def _record(self, result: SyncResult) -> None:
        outcome = outcome_of(result)
        managed: Counter[str] = Counter()
        for applied in result.applied:
            if applied.change.action != "expire" and not applied.error:
                managed[applied.change.vendor] += 1
        with self._lock:
            self.runs[outcome] += 1
            if outcome != "alertmanager_error":
                self.last_success_at = self._clock()
                for feed in result.feeds:
                    if feed.status == "read":
                        self.managed[feed.vendor.name] = managed[feed.vendor.name]
        fields = {"outcome": outcome, **result.counts}
        problems = [f"{f.vendor.name}: {f.error}" for f in result.unreadable]
        problems += [result.error] if result.error else []
        problems += [a.error for a in result.applied if a.error]
        if problems:
            fields["problems"] = "; ".join(problems)
        level = logging.INFO if outcome == "success" else logging.WARNING
        log.log(level, "silences sync", extra={"fields": fields})

    async def run_forever(self, stop: asyncio.Event) -> None:
        waited = 0.0
        while not self._all_probed() and waited < FIRST_RUN_WAIT_SECONDS:
            if await _wait(stop, 1.0):
                return
            waited += 1.0
        while not stop.is_set():
            settings = self._config().maintenances.silences
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a bug here must never stop the probes
                log.exception("silences sync crashed")
            delay = settings.interval_seconds if settings else IDLE_SECONDS
            if await _wait(stop, delay):
                return

    def collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "saas_silence_sync_runs",
            "In-exporter silences syncs by outcome: success, unreadable_page (a vendor's "
            "page or feed could not be read; its silences were left), alertmanager_error.",
            labels=["outcome"],
        )
        last = GaugeMetricFamily(
            "saas_silence_sync_last_success_timestamp_seconds",
            "Unix time of the last sync Alertmanager fully accepted.",
        )
        managed = GaugeMetricFamily(
            "saas_silences_managed",
            "Silences the sync keeps in Alertmanager for the vendor's announced maintenances.",
            labels=["vendor"],
        )
        with self._lock:
            if self._config().maintenances.silences is None:
                return
            for outcome in OUTCOMES:
                runs.add_metric([outcome], self.runs[outcome])
            if self.last_success_at is not None:
                last.add_metric([], self.last_success_at)
            for vendor, count in sorted(self.managed.items()):
                managed.add_metric([vendor], count)
        yield from (runs, last, managed)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until stop; True when stopping."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False
