"""Three shard processes with one config against the fake vendor: every account is
probed by exactly one shard (the vendor's own request counts say so), and when a shard
is killed, a real Prometheus running the pack's SaasShardTargetsMismatch rule fires it
with the killed shard's share as its value."""

from __future__ import annotations

import signal

import pytest
from saas_tools.checkout import find_checkout
from saas_tools.scale.fleet import (
    ACCOUNTS_PATH,
    PROFILES_PATH,
    STATUS_PATH,
    Fleet,
    account_id,
)
from saas_tools.stack.configs import dump_yaml, prometheus_config
from saas_tools.stack.polling import poll
from saas_tools.stack.processes import start_prometheus
from saas_tools.stack.prometheus_api import PrometheusAPI
from saas_tools.stack.rules import RuleClock, retimed_rules

from tests.conftest import REPO
from tests.live_exporter import samples, value

ACCOUNTS = 60
SHARDS = 3
ALERT = "SaasShardTargetsMismatch"
JOB = "saas-exporter"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    # One fleet for both tests (its start is most of their time); the kill comes last.
    with Fleet(tmp_path_factory.mktemp("fleet"), ACCOUNTS, SHARDS) as running:
        running.wait_first_round(60)
        yield running


def test_every_account_is_probed_by_exactly_one_shard(fleet):
    requests = fleet.vendor.requests()
    expected = {
        (path, account_id(i)): 1 for i in range(ACCOUNTS) for path in (ACCOUNTS_PATH, PROFILES_PATH)
    }
    accounts = {key: n for key, n in requests.items() if key[1]}
    assert accounts == expected  # none twice, none never: one first round each
    # The status page (its summary and maintenance feeds) by one shard, once.
    page = {path: n for (path, account), n in requests.items() if not account}
    assert STATUS_PATH in page
    assert set(page.values()) == {1}
    owned = []
    for index, address in enumerate(fleet.addresses):
        found = samples(f"http://{address}")
        labels = {"shard_index": str(index), "shard_count": str(SHARDS)}
        assert value(found, "saas_exporter_shard_info", **labels) == 1
        assert value(found, "saas_exporter_configured_targets") == 2 * ACCOUNTS + 1
        owned.append(value(found, "saas_exporter_shard_owned_targets", **labels))
        probed = {dict(labels)["account"] for name, labels in found if name == "saas_probe_success"}
        assert len(probed) >= 1  # each shard got a share
    assert sum(owned) == 2 * ACCOUNTS + 1


def test_a_killed_shard_raises_the_owned_target_alert(fleet, tmp_path):
    checkout = find_checkout(REPO)
    rules = retimed_rules(
        tmp_path / "rules",
        checkout.rule_files(),
        RuleClock(
            evaluation_interval="1s",
            new_for=lambda seconds: min(seconds, 2.0),
            keep=lambda rule: rule.get("alert") == ALERT,
        ),
    )
    config = prometheus_config({JOB: fleet.addresses}, rules.files, "1s", "1s")
    prometheus = start_prometheus(dump_yaml(config, tmp_path / "prometheus.yml"), tmp_path)
    api = PrometheusAPI(prometheus.url)
    try:
        poll(lambda: api.value("count(up == 1)") == SHARDS, 30, "the first scrape of every shard")
        # While Prometheus has scraped only some shards the rule may be pending; with
        # every shard scraped it must clear.
        poll(
            lambda: api.value(f'count(ALERTS{{alertname="{ALERT}"}})') is None,
            30,
            f"{ALERT} to be quiet with every shard up",
            describe=lambda: str(api.alerts()),
        )
        victim = fleet.shards[1]
        share = value(samples(victim.url), "saas_exporter_shard_owned_targets",
                      shard_index="1", shard_count=str(SHARDS))  # fmt: skip
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(10)

        def firing() -> list[dict]:
            return [
                a
                for a in api.alerts()
                if a["labels"]["alertname"] == ALERT and a["state"] == "firing"
            ]

        poll(lambda: bool(firing()), 30, f"{ALERT} to fire", describe=lambda: str(api.alerts()))
        (alert,) = firing()
        assert alert["labels"]["shard_count"] == str(SHARDS)
        assert alert["labels"]["job"] == JOB
        assert float(alert["value"]) == share  # the killed shard's targets: nobody probes them
    finally:
        api.close()
        prometheus.stop()
