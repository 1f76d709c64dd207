"""Shared helpers: recorded vendor responses, configs pointed at a fake vendor."""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from saas_exporter.config import ExporterConfig, load_config_data
from saas_exporter.probes import ProbeResult, ProbeTarget, prober_for, targets_for
from saas_exporter.probes.clients import ProbeClients

# Property tests test behaviour, not speed: on a loaded machine (CI, parallel workers) a
# per-example deadline or the too-slow health check would fail them for the machine's
# sake. 50 examples a run keep them short (each run draws new ones); `make soak` fuzzes
# tests/test_parser_properties.py with thousands.
settings.register_profile(
    "suite", deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("suite")

# `make test` runs the suite on several workers (pytest-xdist, --dist loadgroup). The
# modules whose tests take longest (promtool on the whole pack, real Prometheus and
# Alertmanager stacks, a wheel built and installed, every fault mode at once) start first,
# so that no worker finishes the run alone on one of them.
LONG_FIRST = (
    "test_generate.py",
    "test_fault_injection.py",
    "test_readme.py",
    "test_wheel.py",
    "test_cli_demo.py",
    "test_reason_coverage.py",
    "test_instrument_alert_rules.py",
    "test_shards_live.py",
    "test_dashboards_prometheus.py",
    "test_silences_sync.py",
    "test_oncall_prometheus.py",
    "test_drill.py",
)


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    fixtures = getattr(item, "_fixtureinfo", None)
    return fixtures is not None and any(
        definitions[-1].scope in ("module", "class", "package")
        for definitions in fixtures.name2fixturedefs.values()
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module whose tests share a module-scoped fixture (a running stack, a built wheel)
    is one xdist group, so the fixture starts once, on one worker; every other test is
    scheduled on its own. The same order on every worker, as xdist requires."""
    for item in items:
        if _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.path.name))
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))


FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = "pk_test_0123456789abcdef0123456789abcdef"
KEY_ENV = "SAAS_TEST_KEY"


def recorded(name: str) -> dict[str, Any]:
    """A recorded Klaviyo exchange: {"response": {"status", "headers", "body"}}."""
    return json.loads((FIXTURES / "klaviyo-recorded" / name).read_text())


def recorded_response(name: str) -> tuple[int, dict[str, str], str]:
    response = recorded(name)["response"]
    return response["status"], response["headers"], json.dumps(response["body"])


def klaviyo_config(
    api_url: str,
    statuspage_url: str | None = None,
    key: str = TEST_KEY,
    vendor: dict[str, Any] | None = None,
    account: dict[str, Any] | None = None,
) -> ExporterConfig:
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": api_url,
                "statuspage_url": statuspage_url,
                "timeout": "2s",
                "accounts": [{"name": "main", "api_key_env": KEY_ENV, **(account or {})}],
                **(vendor or {}),
            }
        ]
    }
    return load_config_data(data, {KEY_ENV: key})


CLAY_TEST_KEY = "clay_test_a1b2c3d4e5f60718293a4b5c6d7e8f90"


def klaviyo_fleet(accounts: int, api_url: str, **vendor: Any) -> list[ProbeTarget]:
    """The targets of one Klaviyo vendor with ``accounts`` accounts (keys K<i>), with
    ``vendor`` added to its config entry (status page, intervals)."""
    env = {f"K{i}": f"pk_test_{i:032d}" for i in range(accounts)}
    entry = {
        "name": "klaviyo",
        "kind": "klaviyo",
        "api_url": api_url,
        "accounts": [{"name": f"a{i}", "api_key_env": f"K{i}"} for i in range(accounts)],
        **vendor,
    }
    return targets_for(load_config_data({"vendors": [entry]}, env))


def api_vendor_config(
    kind: str,
    api_url: str,
    api: dict[str, Any],
    key: str = CLAY_TEST_KEY,
    vendor: dict[str, Any] | None = None,
    account: dict[str, Any] | None = None,
) -> ExporterConfig:
    """A clay or generic vendor with one account and no status page."""
    data = {
        "vendors": [
            {
                "name": kind if kind == "clay" else "shop",
                "kind": kind,
                "api_url": api_url,
                "statuspage_url": None,
                "timeout": "2s",
                "api": api,
                "accounts": [{"name": "main", "api_key_env": KEY_ENV, **(account or {})}],
                **(vendor or {}),
            }
        ]
    }
    return load_config_data(data, {KEY_ENV: key})


def config_problems(data: Any, env: dict[str, str]) -> list[str]:
    """The problems a config is refused with (fails the test if it is accepted)."""
    from saas_exporter.config import ConfigError

    with pytest.raises(ConfigError) as err:
        load_config_data(data, env)
    return err.value.problems


def target(config: ExporterConfig, probe: str) -> ProbeTarget:
    return next(t for t in targets_for(config) if t.probe == probe)


def run_probe(probe_target: ProbeTarget) -> ProbeResult:
    async def go() -> ProbeResult:
        # The exporter's own client (pools, asyncio network backend), as in production.
        clients = ProbeClients([probe_target], max_connections=2)
        try:
            return await prober_for(probe_target)(probe_target, clients.for_target(probe_target))
        finally:
            await clients.aclose()

    return asyncio.run(go())


@pytest.fixture
def simulator():
    from saas_exporter.simulator import start_simulator

    server, thread = start_simulator()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return json.loads((REPO / "rules/thresholds.schema.json").read_text())


@pytest.fixture(scope="session")
def _document() -> dict[str, Any]:
    return yaml.safe_load((REPO / "rules/thresholds.yaml").read_text())


@pytest.fixture
def document(_document: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the real table, for tests that break or extend it."""
    return copy.deepcopy(_document)


@pytest.fixture
def pack_root(tmp_path: Path) -> Path:
    """A scratch repository root holding just the table and its schema."""
    (tmp_path / "rules").mkdir()
    for name in ("thresholds.yaml", "thresholds.schema.json"):
        shutil.copy(REPO / "rules" / name, tmp_path / "rules" / name)
    return tmp_path
