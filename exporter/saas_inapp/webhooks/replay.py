"""A bounded memory of recently accepted event ids, for duplicate detection."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable


class ReplayWindow:
    """Remembers ids for `ttl_seconds`, at most `max_entries` of them (oldest dropped first).

    Time comes from the caller (`now`, in seconds), so one clock drives both the
    freshness check and this window, and tests need no sleeping.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 100_000) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._expires: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expires)

    def claim(self, keys: Iterable[str], now: float) -> list[str]:
        """Remembers the keys not already remembered and returns them, in order.

        Atomic, so two concurrent deliveries of one event cannot both claim it.
        """
        with self._lock:
            self._expire(now)
            claimed: list[str] = []
            for key in keys:
                if key not in self._expires:
                    self._expires[key] = now + self.ttl_seconds
                    claimed.append(key)
            while len(self._expires) > self.max_entries:
                self._expires.popitem(last=False)
            return claimed

    def forget(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._expires.pop(key, None)

    def _expire(self, now: float) -> None:
        # Insertion order is expiry order: every entry gets the same ttl.
        while self._expires:
            key, expires = next(iter(self._expires.items()))
            if expires > now:
                return
            del self._expires[key]
