"""Sharding: rendezvous ownership, the shard's view of the config, flags and ordinals,
and what a shard exposes about itself."""

from __future__ import annotations

import httpx
import pytest

from saas_exporter.cli import main
from saas_exporter.config import load_config_data
from saas_exporter.probes import targets_for
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.sharding import Shard, ShardError, owner, shard_from_flags
from tests.live_exporter import samples, value


def fleet(accounts: int, api_url: str = "https://a.example.com"):
    env = {f"K{i}": f"pk_sim_A{i:05d}" for i in range(accounts)}
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": api_url,
                "statuspage_url": f"{api_url}/status/klaviyo",
                "intervals": {"accounts": "1h", "profiles": "1h", "statuspage": "1h"},
                "accounts": [
                    {"name": f"acct{i:05d}", "api_key_env": f"K{i}"} for i in range(accounts)
                ],
            }
        ]
    }
    return load_config_data(data, env)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_every_target_has_exactly_one_shard(count):
    targets = targets_for(fleet(300))
    owned = [Shard(i, count).select(targets) for i in range(count)]
    keys = [t.key for share in owned for t in share]
    assert sorted(keys) == sorted(t.key for t in targets)  # none twice, none never
    assert sum(1 for share in owned for t in share if t.probe == "statuspage") == 1
    # An account's probes stay together on one shard.
    for share in owned:
        accounts = {t.key[1] for t in share if t.key[1]}
        assert sum(1 for t in share if t.key[1]) == 2 * len(accounts)


def test_shares_are_even_and_adding_a_shard_moves_only_its_share():
    accounts = [f"acct{i:05d}" for i in range(3000)]
    before = {a: owner("klaviyo", a, 4) for a in accounts}
    after = {a: owner("klaviyo", a, 5) for a in accounts}
    for shard in range(4):
        assert 650 <= sum(1 for o in before.values() if o == shard) <= 850
    moved = [a for a in accounts if before[a] != after[a]]
    assert {after[a] for a in moved} == {4}  # only to the new shard
    assert 500 <= len(moved) <= 700  # about 1/5


def test_a_shards_view_holds_only_what_it_owns():
    config = fleet(20)
    views = [Shard(i, 3).view(config) for i in range(3)]
    names = sorted(a.name for view in views for v in view.vendors for a in v.accounts)
    assert names == [f"acct{i:05d}" for i in range(20)]
    pages = [v.statuspage_url for view in views for v in view.vendors if v.statuspage_url]
    assert pages == ["https://a.example.com/status/klaviyo"]
    assert Shard(0, 1).view(config) is config


def test_index_from_flags_or_the_statefulset_ordinal():
    assert shard_from_flags(1, None) == Shard(0, 1)
    assert shard_from_flags(3, None, "saas-exporter-2") == Shard(2, 3)
    assert shard_from_flags(3, 1, "anything") == Shard(1, 3)
    with pytest.raises(ShardError) as err:
        shard_from_flags(3, None, "exporter")
    assert str(err.value) == (
        "--shard.index: not given, and the hostname 'exporter' has no StatefulSet ordinal "
        "(a name ending in -<number>)"
    )
    with pytest.raises(
        ShardError, match=r"^--shard.index: expected 0 to 2 \(--shard.count 3\), got 3$"
    ):
        shard_from_flags(3, None, "saas-exporter-3")
    with pytest.raises(ShardError, match=r"^--shard.count: expected 1 or more, got 0$"):
        shard_from_flags(0, None)


def test_a_bad_shard_flag_exits_2(tmp_path, capsys):
    code = main(["--config.file", str(tmp_path / "none.yml"), "--shard.count=2", "--shard.index=5"])
    assert code == 2
    assert capsys.readouterr().err == (
        "saas-exporter: --shard.index: expected 0 to 1 (--shard.count 2), got 5\n"
    )


def test_a_shard_probes_and_reports_only_its_share(simulator):
    config = fleet(12, simulator.base_url)
    shard = Shard(1, 3)
    runtime = ExporterRuntime(config, ("127.0.0.1", 0), shard=shard)
    runtime.start()
    try:
        assert runtime.store.wait_all_probed(30)
        owned = shard.select(targets_for(config))
        assert sorted(runtime.store.states()) == sorted(t.key for t in owned)
        found = samples(f"http://{runtime.address}")
        labels = {"shard_index": "1", "shard_count": "3"}
        assert value(found, "saas_exporter_shard_info", **labels) == 1
        assert value(found, "saas_exporter_shard_owned_targets", **labels) == len(owned)
        assert value(found, "saas_exporter_configured_targets") == 25
        health = httpx.get(f"http://{runtime.address}/health", timeout=5).json()
        accounts = sorted(health["services"].get("klaviyo", {}).get("accounts", {}))
        assert accounts == sorted({t.key[1] for t in owned if t.key[1]})
    finally:
        runtime.stop()
