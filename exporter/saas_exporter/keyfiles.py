"""Key rotation without a restart: a key file is re-read when it changes, and the next
probe uses the new key.

Before each probe the account's key file is stat()ed (one system call). ``os.stat``
follows symlinks, so the way Kubernetes updates a mounted Secret (the new files are
written to a fresh ``..<timestamp>`` directory and the ``..data`` symlink is swapped to
it atomically) shows up as a new inode, as does an in-place rewrite (size, mtime). A
new key that fails the kind's shape check (an empty file caught mid-write) is refused:
the previous key stays in use and the refusal is logged and counted, never the key.
Keys from environment variables cannot change in a running process: they need a
restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .config.keys import register_key
from .probes.target import ProbeTarget

log = logging.getLogger(__name__)
Account = tuple[str, str]  # (vendor, account)


@dataclass(frozen=True)
class _Loaded:
    signature: tuple[int, int, int, int]
    key: str


def _signature(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class KeyFiles:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._files: dict[Path, _Loaded] = {}
        # When each account's key was last loaded (start, reload, rotation).
        self.loaded_at: dict[Account, float] = {}
        self.failures: dict[Account, int] = {}
        self.changes = 0  # bumped at every re-read or refusal, so /metrics shows it at once

    def loaded(self, account: Account, at: float) -> None:
        with self._lock:
            self.loaded_at[account] = at

    def current(self, target: ProbeTarget) -> ProbeTarget:
        """The target with its account's current key (re-read if the file changed)."""
        account = target.account
        if account is None or account.key_file is None:
            return target
        path = account.key_file
        try:
            signature = _signature(path)
        except OSError:
            signature = None  # gone for a moment mid-swap: keep the key we have
        known = self._files.get(path)
        if signature is not None and (known is None or known.signature != signature):
            known = self._reread(target, path, signature) or known
        if known is None or known.key == account.api_key:
            return target
        return replace(target, account=replace(account, api_key=known.key))

    def _reread(
        self, target: ProbeTarget, path: Path, signature: tuple[int, int, int, int]
    ) -> _Loaded | None:
        assert target.account is not None
        who = (target.vendor.name, target.account.name)
        fields = {"vendor": who[0], "account": who[1], "file": str(path)}
        problem: str | None
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            problem = f"cannot read it: {getattr(err, 'strerror', None) or err}"
        else:
            problem = target.vendor.kind_spec.key_problem(key) if key else "the file is empty"
        if problem:
            with self._lock:
                self.failures[who] = self.failures.get(who, 0) + 1
                self.changes += 1
            log.warning(
                "key file changed but its key is refused; the previous key stays in use",
                extra={"fields": {**fields, "problem": problem}},
            )
            return None
        register_key(key, target.vendor.api)
        loaded = _Loaded(signature, key)
        with self._lock:
            first = path not in self._files
            self._files[path] = loaded
            if not first or key != target.account.api_key:
                self.loaded_at[who] = self.clock()
                self.changes += 1
        if not first:
            log.info("key file re-read", extra={"fields": fields})
        return loaded
