"""A bounded memory of recently accepted event ids, for duplicate detection."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable


class ReplayWindow:
    """Remembers ids for `ttl_seconds`, at most `max_entries` of them (oldest dropped first).

    Time comes from the caller (`now`, in seconds), so one clock drives both the
    freshness check and this window, and tests need no sleeping.

    Dropping an id early must not open a door for its replay: the window keeps the
    latest send time of every id it had to drop (`forgotten_until`), and the verifier
    refuses deliveries sent at or before it, since their duplicates can no longer be
    told apart. A flood of new ids thus costs late deliveries, never a replay.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 100_000) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        # key -> (expires, sent_at)
        self._entries: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.forgotten_until = float("-inf")

    def __len__(self) -> int:
        return len(self._entries)

    def claim(self, keys: Iterable[str], now: float, sent_at: float | None = None) -> list[str]:
        """Remembers the keys not already remembered and returns them, in order.
        `sent_at` is the delivery's own (signed) send time; `now` when not given.

        Atomic, so two concurrent deliveries of one event cannot both claim it.
        """
        sent = now if sent_at is None else sent_at
        with self._lock:
            self._expire(now)
            claimed: list[str] = []
            for key in keys:
                if key not in self._entries:
                    self._entries[key] = (now + self.ttl_seconds, sent)
                    claimed.append(key)
            while len(self._entries) > self.max_entries:
                _key, (_expires, dropped_sent) = self._entries.popitem(last=False)
                self.forgotten_until = max(self.forgotten_until, dropped_sent)
            return claimed

    def forget(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def _expire(self, now: float) -> None:
        # Insertion order is expiry order: every entry gets the same ttl.
        while self._entries:
            key, (expires, _sent) = next(iter(self._entries.items()))
            if expires > now:
                return
            del self._entries[key]
