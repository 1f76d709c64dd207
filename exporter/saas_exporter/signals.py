"""SIGTERM/SIGINT stop, SIGHUP reloads: installed before anything starts, so a signal that
arrives during start-up is handled too (it would otherwise kill the process by default)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("saas_exporter")


class StopSignals:
    """Create it first; `wait(stop)` once everything runs: returns after SIGTERM/SIGINT
    (even one received before `wait`), having called `stop`."""

    def __init__(self, reloadable: bool = False) -> None:
        self._done = threading.Event()
        self._reload: Callable[[], object] | None = None
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if reloadable:
            signal.signal(signal.SIGHUP, self._hup)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("shutting down", extra={"fields": {"signal": signal.Signals(signum).name}})
        self._done.set()

    def _hup(self, _signum: int, _frame: FrameType | None) -> None:
        reload = self._reload
        if reload is None:
            log.info("SIGHUP during start-up: nothing to reload yet", extra={"fields": {}})
            return
        log.info("reloading the config", extra={"fields": {"signal": "SIGHUP"}})
        # On its own thread: a handler must not block.
        threading.Thread(target=reload, name="reload", daemon=True).start()

    def wait(self, stop: Callable[[], None], reload: Callable[[], object] | None = None) -> None:
        self._reload = reload
        self._done.wait()
        stop()
