"""A sharded fleet on loopback: the fast fake vendor, a config of N Klaviyo accounts and
one exporter process per shard, for the shard test and the scale bench.

Every account's key is ``pk_sim_A<number>``: the fake answers for account
``A<number>`` and counts each request by path and account, so ``vendor_requests``
shows which accounts were probed how often across the whole fleet.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml

from ..stack.polling import poll
from ..stack.processes import Server, free_port, start_process

ACCOUNTS_PATH = "/api/accounts/"
PROFILES_PATH = "/api/profiles/"
STATUS_PATH = "/status/klaviyo/api/v2/summary.json"


def account_id(i: int) -> str:
    return f"A{i:05d}"


def key_env(accounts: int) -> dict[str, str]:
    return {f"SAAS_FLEET_KEY_{i}": f"pk_sim_{account_id(i)}" for i in range(accounts)}


def fleet_config(
    vendor_url: str,
    accounts: int,
    intervals: dict[str, str] | None = None,
    global_: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Klaviyo with `accounts` accounts (keys from key_env) and its status page."""
    return {
        "global": {"timeout": "5s", **(global_ or {})},
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": vendor_url,
                "statuspage_url": f"{vendor_url}/status/klaviyo",
                # None: every probe once an hour (one first round, then quiet); {}: the
                # catalog's default intervals.
                "intervals": {"accounts": "1h", "profiles": "1h", "statuspage": "1h"}
                if intervals is None
                else intervals,
                "accounts": [
                    {
                        "name": f"acct{i:05d}",
                        "api_key_env": f"SAAS_FLEET_KEY_{i}",
                        "expected_account_id": account_id(i),
                    }
                    for i in range(accounts)
                ],
            }
        ],
    }


@dataclass
class FakeVendor:
    process: subprocess.Popen
    url: str

    def requests(self) -> Counter[tuple[str, str]]:
        """Requests so far by (path, account id; "" for the status page)."""
        rows = httpx.get(f"{self.url}/-/accounts", timeout=10).json()
        return Counter({(path, account): n for path, account, n in rows})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def start_fake_vendor(latency: float = 0.0) -> FakeVendor:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "saas_tools.scale.fast_vendor", str(port), str(latency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the fake vendor did not start")
    return FakeVendor(process, f"http://127.0.0.1:{port}")


@dataclass
class Fleet:
    """`with Fleet(workdir, accounts, shards) as fleet:` starts everything; the shards'
    addresses are `fleet.addresses`, their processes `fleet.shards`."""

    workdir: Path
    accounts: int
    shard_count: int
    intervals: dict[str, str] | None = None
    global_: dict[str, Any] | None = None
    latency: float = 0.0
    extra_flags: tuple[str, ...] = ()
    vendor: FakeVendor = field(init=False)
    shards: list[Server] = field(init=False, default_factory=list)
    _exit: ExitStack = field(init=False, default_factory=ExitStack)

    def __enter__(self) -> Fleet:
        try:
            self.start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    @property
    def addresses(self) -> list[str]:
        return [shard.url.removeprefix("http://") for shard in self.shards]

    def start(self) -> None:
        self.vendor = start_fake_vendor(self.latency)
        self._exit.callback(self.vendor.stop)
        config = fleet_config(self.vendor.url, self.accounts, self.intervals, self.global_)
        path = self.workdir / "fleet.yml"
        path.write_text(yaml.safe_dump(config))
        for index in range(self.shard_count):
            port = free_port()
            argv = [
                sys.executable,
                "-m",
                "saas_exporter",
                f"--config.file={path}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--shard.count={self.shard_count}",
                f"--shard.index={index}",
                *self.extra_flags,
            ]
            shard = start_process(
                f"shard-{index}",
                argv,
                f"http://127.0.0.1:{port}",
                self.workdir,
                env=key_env(self.accounts),
                ready_path="/-/healthy",  # listening; the first round may take a while
            )
            self._exit.callback(shard.stop)
            self.shards.append(shard)

    def wait_first_round(self, timeout: float) -> None:
        """Until every shard's /-/ready says its first round is complete."""
        for shard in self.shards:
            poll(
                partial(_ready, shard.url),
                timeout,
                f"{shard.name}'s first round",
                describe=shard.log_text,
            )


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/-/ready", timeout=5).status_code == 200
