"""Wires config, store, scheduler and HTTP server into one running exporter, and
reloads its config without a restart (SIGHUP, POST /-/reload)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from .config import ConfigError, ExporterConfig
from .config.accounts_dir import AccountFiles
from .health import compute_health
from .keyfiles import KeyFiles
from .probes import ProbeTarget, targets_for
from .probes.clients import ProbeClients
from .scheduler import RunProbe, Scheduler, make_run_probe
from .selfmetrics import (
    KeyLoadCollector,
    ReloadStatus,
    RuntimeCollector,
    ScheduleStatus,
    ShardStatus,
)
from .sharding import Shard
from .silences.runner import SilenceSyncer
from .state import ResultStore
from .web.app import Endpoints, ExporterApp
from .web.metrics import MetricsRenderer
from .web.options import WebOptions
from .web.server import WebServer
from .web.tls import ssl_context
from .web.webconfig import WebConfig, WebConfigError, load_web_config

ConfigLoader = Callable[[], ExporterConfig]

log = logging.getLogger(__name__)


class ExporterRuntime:
    """Probes run on an asyncio loop in one thread; HTTP is served from another loop."""

    def __init__(
        self,
        config: ExporterConfig,
        listen: tuple[str, int],
        clock: Callable[[], float] = time.time,
        run_probe: RunProbe | None = None,
        web: WebOptions | None = None,
        links: tuple[tuple[str, str], ...] = (),
        load_config: ConfigLoader | None = None,
        shard: Shard | None = None,
        account_files: AccountFiles | None = None,
    ):
        """``load_config`` re-reads the config at a reload (None: nothing to reload);
        ``shard``: which accounts of the config this replica probes (all by default)."""
        self.shard = shard or Shard()
        self.shard_status = ShardStatus(self.shard.index, self.shard.count)
        config = self._sharded(config)
        self.config = config
        self._load_config = load_config
        self._reload_lock = threading.Lock()
        self.reload_status = ReloadStatus(successful=True, success_at=clock())
        self.keys = KeyFiles(clock)
        self.targets: list[ProbeTarget] = targets_for(config)
        self.store = ResultStore(self.targets)
        self.clock = clock
        self._run_probe = run_probe
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._scheduler: Scheduler | None = None
        self._probe_thread = threading.Thread(target=self._run_loop, name="probes", daemon=True)
        self._started = threading.Event()
        self.web = web = web or WebOptions()
        self._self_metrics = RuntimeCollector(
            self.reload_status,
            lambda: self.shard_status,
            self.schedule_status,
            account_files or AccountFiles(),
        )
        # `maintenances.silences`: Alertmanager silences kept in step from the store.
        self.silences = SilenceSyncer(
            lambda: self.config,
            lambda: self.store.states().values(),
            self.store.all_probed,
            clock,
        )
        self.renderer = self._renderer(config)
        self.endpoints = Endpoints(
            store=self.store,
            renderer=self.renderer,
            health=lambda: compute_health(self.config, self.store.states(), self.clock()),
            alive=self.alive,
            web=web.config,
            telemetry_path=web.telemetry_path,
            links=links,
            reload=self.reload if web.enable_lifecycle else None,
            first_round=self.first_round,
        )
        self.app = ExporterApp(self.endpoints)
        self._tls = ssl_context(web.config.tls) if web.config.tls else None
        self.http = WebServer(
            listen,
            self.app,
            self._tls,
            web.limits,
            allowed_sans=lambda: (
                self.endpoints.web.tls.client_allowed_sans if self.endpoints.web.tls else ()
            ),
        )

    def first_round(self) -> str:
        """How far the first round is: targets probed, and its window's end."""
        probed, total = self.store.probed_count()
        scheduler = self._scheduler
        if scheduler is None:
            return f"{probed} of {total} targets probed; the scheduler is starting"
        left = scheduler.started_at + scheduler.startup_window - self.clock()
        ends = f"ends in about {left:.0f} s" if left > 0 else "its probes are running"
        return (
            f"{probed} of {total} targets probed; the first round is spread over "
            f"{scheduler.startup_window:.0f} s to fit the capacity, {ends}"
        )

    def schedule_status(self) -> ScheduleStatus:
        scheduler = self._scheduler
        if scheduler is None:
            return ScheduleStatus()
        return ScheduleStatus(
            scheduler.startup_window, scheduler.scheduled_runs, scheduler.late_runs
        )

    def _sharded(self, config: ExporterConfig) -> ExporterConfig:
        """This shard's view of a loaded config; counts its share for /metrics."""
        view = self.shard.view(config)
        self.shard_status.configured_targets = len(targets_for(config))
        self.shard_status.owned_targets = len(targets_for(view))
        return view

    def _renderer(self, config: ExporterConfig) -> MetricsRenderer:
        return MetricsRenderer(
            config,
            self.store,
            [self._self_metrics, self.silences],
            live_version=lambda: self.reload_status.changes + self.keys.changes,
            versioned_collectors=[
                KeyLoadCollector(self.reload_status, self.keys, lambda: self.config)
            ],
        )

    @property
    def address(self) -> str:
        return self.http.address

    @property
    def url(self) -> str:
        return f"{'https' if self.http.tls else 'http'}://{self.address}"

    def alive(self) -> bool:
        return self._probe_thread.is_alive()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        clients = ProbeClients(self.targets, self.config.max_concurrency)
        run_probe = self._run_probe or make_run_probe(clients)
        self._scheduler = Scheduler(
            self.targets,
            self.store,
            run_probe,
            self.config.max_concurrency,
            self.clock,
            startup_spread=self.config.startup_spread_seconds,
            keys=self.keys,
        )
        self._started.set()
        try:
            await asyncio.gather(
                self._scheduler.run_forever(self._stop), self.silences.run_forever(self._stop)
            )
        finally:
            await clients.aclose()

    def start(self, probes: bool = True) -> None:
        self.http.start()
        if probes:
            self._probe_thread.start()
            self._started.wait(10)
        log.info(
            "saas-exporter started",
            extra={"fields": {"address": self.address, "targets": len(self.targets)}},
        )

    def probe_all_now(self, timeout: float = 60.0) -> None:
        """Explicit trigger: run every probe once, now, and wait for the results."""
        assert self._scheduler is not None, "start() first"
        future = asyncio.run_coroutine_threadsafe(self._scheduler.run_all_once(), self._loop)
        future.result(timeout)

    def stop(self) -> None:
        self.http.stop()
        self.app.close()
        if self._stop is not None and self._probe_thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._probe_thread.join(15)

    def reload(self) -> str | None:
        """Re-read the config (and the web config). Returns None, or why the running
        config was kept. Kept targets keep their schedule, counters and last results;
        added ones are staggered as at start-up; removed ones leave /metrics."""
        with self._reload_lock:
            try:
                if self._load_config is None:
                    raise ConfigError(["no config file to reload (--demo)"])
                loaded = self._load_config()
                web = self._load_web()
            except (ConfigError, WebConfigError) as err:
                self.reload_status.successful = False
                self.reload_status.changes += 1
                log.error(
                    "config reload failed; the running config is kept",
                    extra={"fields": {"problems": "; ".join(err.problems)}},
                )
                return "; ".join(err.problems)
            before = {t.key for t in self.targets}
            self._apply(self._sharded(loaded))
            self._apply_web(web)
            self.reload_status.successful = True
            self.reload_status.success_at = self.clock()
            self.reload_status.changes += 1
            after = {t.key for t in self.targets}
            log.info(
                "config reloaded",
                extra={
                    "fields": {
                        "targets": len(after),
                        "added": len(after - before),
                        "removed": len(before - after),
                    }
                },
            )
            return None

    def _load_web(self) -> WebConfig:
        file = self.web.config_file
        return load_web_config(file) if file else self.endpoints.web

    def _apply(self, config: ExporterConfig) -> None:
        targets = targets_for(config)
        # The store first: an added target's first probe can finish before this thread
        # runs again, and the store drops results of targets it does not know.
        self.store.set_targets(targets)
        if self._scheduler is not None:
            # The scheduler lives on the probe loop: change it there, between two steps.
            async def update() -> None:
                assert self._scheduler is not None
                self._scheduler.set_targets(targets, config.startup_spread_seconds)

            asyncio.run_coroutine_threadsafe(update(), self._loop).result(30)
        self.targets = targets
        self.config = config
        # The config-only families (build, revisions, expected accounts) change with it.
        self.renderer.exposition.close()
        self.renderer = self._renderer(config)
        self.endpoints.renderer = self.renderer

    def _apply_web(self, web: WebConfig) -> None:
        old = self.endpoints.web
        if web.tls is not None and self._tls is not None:
            # New connections get the re-read certificate (cert-manager rotates them).
            self._tls.load_cert_chain(web.tls.cert_file, web.tls.key_file)
        if (web.tls is None) != (old.tls is None) or (
            web.tls
            and old.tls
            and (web.tls.client_auth_type, web.tls.client_ca_file, web.tls.min_version)
            != (old.tls.client_auth_type, old.tls.client_ca_file, old.tls.min_version)
        ):
            log.warning(
                "web config: TLS on/off, client auth and TLS versions change at the next "
                "restart; certificates, users, headers and allowed SANs changed now"
            )
        self.app.set_web_config(web)
