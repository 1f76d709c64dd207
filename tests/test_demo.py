"""The demo in-process: its application's traffic follows the simulator's scenario, its
webhooks are verified, and the on-call commands reach it with --demo, no config file."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator

import httpx
import pytest
from saas_tools.stack.processes import free_port

from saas_exporter.demo.app import DEMO_WEBHOOK_SECRET, WEBHOOK_PATH
from saas_exporter.demo.command import FORGED_SIGNATURE, invoked_as
from saas_exporter.demo.stack import Demo, DemoSpec
from saas_exporter.oncall import bundle, preflight, triage
from tests.inapp_support import series, verifications
from tests.oncall_support import run_command


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    spec = DemoSpec(
        exporter=("127.0.0.1", free_port()),
        simulator=("127.0.0.1", 0),
        app=("127.0.0.1", 0),
        # Probes at start and on explicit triggers; app calls on explicit triggers only.
        intervals={"accounts": "10m", "profiles": "10m", "api": "10m", "statuspage": "10m"},
        app_interval=None,
    )
    with Demo(spec) as running:
        assert running.exporter.store.wait_all_probed(30)
        yield running


@pytest.fixture
def scenario(demo):
    """Switch every vendor to a scenario and probe at once; back to the start after."""

    def switch(name: str, vendor: str | None = None) -> None:
        if vendor:
            demo.simulator.set_scenario(vendor, name)
        else:
            demo.simulator.set_scenario_everywhere(name)
        demo.exporter.probe_all_now()

    yield switch
    switch(demo.spec.scenario)


def demo_flags(demo: Demo) -> list[str]:
    return ["--demo", "--demo.simulator-url", demo.simulator.base_url]


def test_the_app_calls_every_vendor_with_the_probed_accounts(demo):
    assert demo.app.call_vendors() == {"klaviyo": "200", "clay": "200", "acme": "200"}
    requests = series(demo.app.registry, "saas_api_requests_total")
    endpoints = {dict(labels)["vendor"]: dict(labels)["endpoint"] for labels in requests}
    assert endpoints == {
        "klaviyo": "/api/profiles",
        "clay": "/clay/public/v0/me",
        "acme": "/acme/v1/me",
    }


def test_the_app_follows_the_scenario(demo, scenario):
    scenario("auth_failure", vendor="klaviyo")
    assert demo.app.call_vendors() == {"klaviyo": "401", "clay": "200", "acme": "200"}
    scenario("credits_exhausted")
    assert demo.app.call_vendors(["clay"]) == {"clay": "402"}


def test_signed_webhooks_are_valid_and_a_forged_one_is_counted(demo):
    before = verifications(demo.app.registry)
    assert demo.app.send_webhook() == 200
    assert demo.app.send_webhook(secret="not-" + DEMO_WEBHOOK_SECRET) == 401
    # The forged delivery the demo's banner suggests, sent as curl would.
    forged = httpx.post(
        f"{demo.app.url}{WEBHOOK_PATH}",
        content=b"{}",
        headers={
            "Klaviyo-Webhook-Id": "x",
            "Klaviyo-Timestamp": "1",
            "Klaviyo-Signature": FORGED_SIGNATURE,
        },
    )
    assert forged.status_code == 401
    after = verifications(demo.app.registry)
    assert after["valid"] - before["valid"] == 1
    assert after["invalid_signature"] - before["invalid_signature"] == 2
    assert demo.app.events_accepted >= 1


def test_landing_links_the_simulator_and_the_app(demo):
    page = httpx.get(f"{demo.exporter_url}/").text
    assert f'href="{demo.simulator.base_url}/-/scenario"' in page
    assert f'href="{demo.app.url}/metrics"' in page


def test_preflight_with_demo_needs_no_config(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no saas-exporter.yml here
    code, out, err = run_command(preflight.run, [*demo_flags(demo), "--output", "json"])
    report = json.loads(out)
    assert report["checks"][0] == {
        "vendor": "",
        "account": "",
        "check": "config",
        "status": "pass",
        "detail": f"the demo's config (simulator {demo.simulator.base_url}): valid; "
        "3 vendors, 3 accounts, keys from files or the environment only",
    }
    # minor_incident: every status page shows a minor incident, a warning each.
    assert (code, err) == (3, "")
    pages = {c["vendor"]: c["status"] for c in report["checks"] if c["check"] == "status page"}
    assert pages == {"klaviyo": "warn", "clay": "warn", "acme": "warn"}


def test_triage_with_demo_reads_the_demo_exporter(demo, scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [*demo_flags(demo), "--exporter-url", demo.exporter_url, "--output", "json"]
    scenario("auth_failure", vendor="klaviyo")
    code, out, _ = run_command(triage.run, argv)
    report = json.loads(out)
    assert (code, report["branch"]) == (1, "integration")
    assert {name: v["branch"] for name, v in report["vendors"].items()} == {
        "klaviyo": "integration",
        "clay": "monitor",
        "acme": "monitor",
    }
    assert report["vendors"]["klaviyo"]["evidence"]["source"] == f"exporter {demo.exporter_url}"
    scenario("vendor_incident")
    code, _, _ = run_command(triage.run, argv)
    assert code == 4


def test_bundle_with_demo_copies_the_demo_config(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "b.tar.gz"
    argv = [*demo_flags(demo), "--prometheus-url", "http://127.0.0.1:9", "--out", str(target)]
    code, _, _ = run_command(bundle.run, [*argv, "--output", "json"])
    assert code == 3  # written; Prometheus could not be read
    with tarfile.open(target) as tar:
        names = tar.getnames()
        config = next(n for n in names if n.endswith("/config.yaml"))
        text = tar.extractfile(config).read().decode()
    assert demo.simulator.base_url in text
    assert "pk_sim_" not in text


def test_invoked_as_names_the_program_to_run_again():
    def which(_name: str) -> str | None:
        return None

    assert invoked_as(".venv/bin/saas-exporter", which) == ".venv/bin/saas-exporter"
    assert invoked_as(
        "/usr/local/bin/saas-exporter", lambda _n: "/usr/local/bin/saas-exporter"
    ) == ("saas-exporter")
