"""Reload without a restart, on a real process: SIGHUP and POST /-/reload. Kept targets
keep their counters and schedule (no extra vendor calls), added ones are probed, removed
ones leave /metrics, and an invalid config keeps the running one."""

from __future__ import annotations

import os
import signal
import threading
import time

import bcrypt
import httpx
import pytest
import yaml
from saas_tools.stack.polling import poll

from saas_exporter.config import load_config_data
from saas_exporter.demo import demo_config
from saas_exporter.probes import ProbeResult
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.web.options import WebOptions
from saas_exporter.web.webconfig import load_web_config
from tests.conftest import KEY_ENV, TEST_KEY
from tests.live_exporter import (
    samples,
    start_exporter,
    start_simulator,
    value,
    vendor_calls,
    write_config,
)

ACCOUNTS = "/api/accounts/"
PROFILES = "/api/profiles/"


@pytest.fixture
def simulator():
    sim = start_simulator()
    yield sim
    sim.stop()


def config(sim_url: str, *accounts: str, broken: bool = False) -> dict:
    return {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": sim_url,
                "statuspage_url": None,
                "intervals": {"accounts": "1h", "profiles": "1h"},
                "accounts": [
                    {"name": name, "api_key_file": f"{name}.key"}
                    for name in accounts + (("missing",) if broken else ())
                ],
            }
        ]
    }


def _when_reloaded_and_probed(found, account: str, since: float):
    """The samples once the reload is done and both probes of the account have run."""
    probed = runs(found, account, "accounts") and runs(found, account, "profiles")
    reloaded = value(found, "saas_exporter_config_last_reload_success_timestamp_seconds")
    return found if probed and reloaded > since else None


def runs(found, account: str, probe: str) -> float | None:
    return value(found, "saas_probe_runs_total", vendor="klaviyo", account=account, probe=probe)


def test_reload_keeps_running_targets_and_refuses_a_bad_config(tmp_path, simulator):
    for name, key in (("main", "pk_sim_MAIN01"), ("second", "pk_sim_SECOND")):
        (tmp_path / f"{name}.key").write_text(key + "\n")
    path = write_config(tmp_path / "config.yml", config(simulator.url, "main"))
    exporter = start_exporter(path, tmp_path, "--web.enable-lifecycle")
    try:
        before = samples(exporter.url)
        assert runs(before, "main", "accounts") == 1.0
        assert vendor_calls(simulator) == {ACCOUNTS: 1, PROFILES: 1}
        started = value(before, "process_start_time_seconds")
        loaded_at = value(before, "saas_exporter_config_last_reload_success_timestamp_seconds")
        last_run = value(
            before,
            "saas_probe_last_run_timestamp_seconds",
            vendor="klaviyo",
            account="main",
            probe="accounts",
        )

        # SIGHUP with an added account: it is probed, nothing else is.
        write_config(path, config(simulator.url, "main", "second"))
        os.kill(exporter.proc.pid, signal.SIGHUP)
        after = poll(
            lambda: _when_reloaded_and_probed(samples(exporter.url), "second", loaded_at),
            15,
            "the added account's first probes",
            describe=exporter.log_text,
        )
        assert exporter.proc.poll() is None
        assert value(after, "process_start_time_seconds") == started  # same process
        assert runs(after, "main", "accounts") == runs(after, "main", "profiles") == 1.0
        assert (
            value(
                after,
                "saas_probe_last_run_timestamp_seconds",
                vendor="klaviyo",
                account="main",
                probe="accounts",
            )
            == last_run
        )
        assert runs(after, "second", "accounts") == 1.0
        assert vendor_calls(simulator) == {ACCOUNTS: 2, PROFILES: 2}
        assert value(after, "saas_exporter_config_last_reload_successful") == 1.0
        reloaded_at = value(after, "saas_exporter_config_last_reload_success_timestamp_seconds")

        # An invalid config is refused, by /-/reload and by SIGHUP; the running one stays.
        write_config(path, config(simulator.url, "main", broken=True))
        refused = httpx.post(f"{exporter.url}/-/reload", timeout=10)
        assert refused.status_code == 500
        assert refused.text == (
            "failed to reload config: vendors[0].accounts[1].api_key_file: cannot read "
            f"{tmp_path}/missing.key: No such file or directory\n"
        )
        os.kill(exporter.proc.pid, signal.SIGHUP)
        poll(
            lambda: exporter.log_text().count("config reload failed") == 2,
            10,
            "the SIGHUP reload to be refused",
            describe=exporter.log_text,
        )
        kept = samples(exporter.url)
        assert exporter.proc.poll() is None
        assert value(kept, "saas_exporter_config_last_reload_successful") == 0.0
        assert value(kept, "saas_exporter_config_last_reload_success_timestamp_seconds") == (
            reloaded_at
        )
        assert runs(kept, "second", "accounts") == 1.0
        assert "vendors[0].accounts[1].api_key_file: cannot read" in exporter.log_text()

        # Removing the account takes its series off /metrics, with no vendor call.
        write_config(path, config(simulator.url, "main"))
        ok = httpx.post(f"{exporter.url}/-/reload", timeout=10)
        assert (ok.status_code, ok.text) == (200, "OK\n")
        removed = samples(exporter.url)
        assert runs(removed, "second", "accounts") is None
        assert not any(dict(labels).get("account") == "second" for _, labels in removed)
        assert runs(removed, "main", "accounts") == 1.0
        assert vendor_calls(simulator) == {ACCOUNTS: 2, PROFILES: 2}
        assert "Traceback" not in exporter.log_text()
    finally:
        exporter.stop()


def test_reload_is_off_without_the_lifecycle_flag(tmp_path, simulator):
    (tmp_path / "main.key").write_text("pk_sim_MAIN01")
    path = write_config(tmp_path / "config.yml", config(simulator.url, "main"))
    exporter = start_exporter(path, tmp_path)
    try:
        refused = httpx.post(f"{exporter.url}/-/reload", timeout=5)
        assert (refused.status_code, refused.text) == (403, "Lifecycle API is not enabled.\n")
    finally:
        exporter.stop()


def test_a_reload_rereads_the_web_config(tmp_path):
    def users(password: str) -> dict:
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
        return {"basic_auth_users": {"prometheus": hashed}}

    web_file = tmp_path / "web.yml"
    web_file.write_text(yaml.safe_dump(users("old")))
    config = demo_config("http://127.0.0.1:9")  # nothing listens: probes fail fast
    runtime = ExporterRuntime(
        config,
        ("127.0.0.1", 0),
        web=WebOptions(
            config=load_web_config(web_file), config_file=str(web_file), enable_lifecycle=True
        ),
        load_config=lambda: config,
    )
    runtime.start(probes=False)
    url = f"http://{runtime.address}"
    try:
        assert httpx.get(f"{url}/metrics", auth=("prometheus", "old"), timeout=5).status_code == 200
        web_file.write_text(yaml.safe_dump(users("new")))
        reload = httpx.post(f"{url}/-/reload", auth=("prometheus", "old"), timeout=10)
        assert (reload.status_code, reload.text) == (200, "OK\n")
        assert httpx.get(f"{url}/metrics", auth=("prometheus", "old"), timeout=5).status_code == 401
        assert httpx.get(f"{url}/metrics", auth=("prometheus", "new"), timeout=5).status_code == 200
        web_file.write_text("basic_auth_users: {prometheus: plain}\n")
        refused = httpx.post(f"{url}/-/reload", auth=("prometheus", "new"), timeout=10)
        assert refused.status_code == 500
        assert "basic_auth_users.prometheus: not a bcrypt hash" in refused.text
        assert httpx.get(f"{url}/metrics", auth=("prometheus", "new"), timeout=5).status_code == 200
    finally:
        runtime.stop()


def test_an_added_targets_first_result_is_kept_when_the_reload_thread_runs_late(monkeypatch):
    """On a loaded machine the reloading thread can lose the CPU right after the probe
    loop took the added targets; their first results, recorded meanwhile, are kept."""

    def exporter_config(*accounts: str):
        data = config("http://127.0.0.1:9", *accounts)
        for account in data["vendors"][0]["accounts"]:
            account["api_key_env"] = KEY_ENV
            del account["api_key_file"]
        return load_config_data(data, {KEY_ENV: TEST_KEY})

    async def instant(target):
        return ProbeResult(True, 0.01, time.time(), 200)

    current = exporter_config("main")
    runtime = ExporterRuntime(
        current, ("127.0.0.1", 0), run_probe=instant, load_config=lambda: current
    )
    set_targets = runtime.store.set_targets
    reload_threads = []

    def descheduled(targets):
        if threading.current_thread() in reload_threads:
            time.sleep(0.3)  # stands for the reloading thread waiting for a CPU
        set_targets(targets)

    monkeypatch.setattr(runtime.store, "set_targets", descheduled)
    runtime.start()
    try:
        assert runtime.store.wait_for_runs(("klaviyo", "main", "accounts"), 1, 10)
        current = exporter_config("main", "second")
        reload_threads.append(threading.current_thread())
        assert runtime.reload() is None
        for probe in ("accounts", "profiles"):
            assert runtime.store.wait_for_runs(("klaviyo", "second", probe), 1, 10), probe
        assert runtime.store.get(("klaviyo", "main", "accounts")).runs == 1
    finally:
        runtime.stop()
