"""Sharding, the way kube-state-metrics does it: N replicas with the same config, each
probing the accounts it owns.

An account (vendor, account) belongs to the shard with the highest rendezvous hash of
(vendor, account, shard): every replica computes the same owner without talking to the
others, every account has exactly one owner, and going from N to N+1 shards moves about
1/(N+1) of the accounts (only those the new shard wins). A vendor's status page is one
more "account" (its name empty), so exactly one shard probes it.

The index comes from ``--shard.index``, or, in a StatefulSet, from the pod's ordinal: the
number after the last ``-`` of the hostname (``saas-exporter-2`` is shard 2).
"""

from __future__ import annotations

import hashlib
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .config import ExporterConfig
from .probes.target import ProbeTarget

ORDINAL = re.compile(r"-(\d+)$")


class ShardError(ValueError):
    """Flags that do not name a shard; the message says which and why."""


def _score(vendor: str, account: str, shard: int) -> int:
    digest = hashlib.blake2b(f"{vendor}\0{account}\0{shard}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(vendor: str, account: str, count: int) -> int:
    """The shard (0..count-1) that probes this account; account "" is the status page."""
    return max(range(count), key=lambda shard: _score(vendor, account, shard))


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def owns(self, target: ProbeTarget) -> bool:
        vendor, account, _ = target.key
        return self.count == 1 or owner(vendor, account, self.count) == self.index

    def select(self, targets: Iterable[ProbeTarget]) -> list[ProbeTarget]:
        return [t for t in targets if self.owns(t)]

    def owns_account(self, vendor: str, account: str) -> bool:
        return self.count == 1 or owner(vendor, account, self.count) == self.index

    def view(self, config: ExporterConfig) -> ExporterConfig:
        """The config as this shard runs it: only the accounts (and status pages) it
        owns, vendors with neither left out. /health, the key files watched and the
        config-only series (expected account ids) then cover exactly what it probes."""
        if self.count == 1:
            return config
        vendors = []
        for vendor in config.vendors:
            accounts = tuple(a for a in vendor.accounts if self.owns_account(vendor.name, a.name))
            page = vendor.statuspage_url if self.owns_account(vendor.name, "") else None
            if accounts or page:
                vendors.append(replace(vendor, accounts=accounts, statuspage_url=page))
        return replace(config, vendors=tuple(vendors))


def ordinal(hostname: str) -> int:
    match = ORDINAL.search(hostname)
    if match is None:
        raise ShardError(
            f"--shard.index: not given, and the hostname {hostname!r} has no StatefulSet "
            "ordinal (a name ending in -<number>)"
        )
    return int(match.group(1))


def shard_from_flags(count: int, index: int | None, hostname: str | None = None) -> Shard:
    if count < 1:
        raise ShardError(f"--shard.count: expected 1 or more, got {count}")
    if index is None:
        index = 0 if count == 1 else ordinal(hostname or socket.gethostname())
    if not 0 <= index < count:
        raise ShardError(
            f"--shard.index: expected 0 to {count - 1} (--shard.count {count}), got {index}"
        )
    return Shard(index, count)
