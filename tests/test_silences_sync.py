"""`saas-exporter silences sync` against a real Alertmanager (started here on a free
loopback port) and the simulator's announced maintenances."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import pytest
import yaml
from saas_tools.stack import alertmanager_api as api
from saas_tools.stack.polling import poll
from saas_tools.stack.processes import Server, free_port, start_alertmanager

from saas_exporter.config import load_config_data
from saas_exporter.demo.config import demo_config_data, demo_env
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.silences.command import COMMAND
from saas_exporter.silences.model import CREATOR, rfc3339

MARGIN = 600.0
API_WINDOW = {
    "id": "m-api",
    "name": "Klaviyo API database upgrade",
    "components": ["Klaviyo API", "Flow Triggering"],
    "starts_in_seconds": -60,
    "duration_seconds": 3600,
}
FORMS_WINDOW = {
    "id": "m-forms",
    "name": "Signup Forms migration",
    "components": ["Signup Forms"],
    "starts_in_seconds": 86400,
    "duration_seconds": 7200,
}
CANCELLED = {
    "id": "m-cancelled",
    "name": "Cancelled analytics work",
    "components": ["Analytics"],
    "starts_in_seconds": 3600,
    "cancelled": True,
}


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory) -> Server:
    workdir = tmp_path_factory.mktemp("alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text(
        yaml.safe_dump({"route": {"receiver": "none"}, "receivers": [{"name": "none"}]})
    )
    server = start_alertmanager(config, workdir, log_level="warn")
    yield server
    server.stop()


@pytest.fixture
def am(alertmanager) -> str:
    """The Alertmanager's URL, with no silence in force (expired ones stay listed)."""
    for silence in silences(alertmanager.url):
        httpx.delete(f"{alertmanager.url}/api/v2/silence/{silence['id']}").raise_for_status()
    return alertmanager.url


def silences(url: str, states=("active", "pending")) -> list[dict]:
    found = httpx.get(f"{url}/api/v2/silences").json()
    return sorted((s for s in found if s["status"]["state"] in states), key=lambda s: s["comment"])


def announce(simulator, *maintenances, vendor="klaviyo"):
    response = httpx.post(
        f"{simulator.base_url}/-/maintenances",
        json={"vendor": vendor, "maintenances": list(maintenances)},
    )
    response.raise_for_status()
    return {m["id"]: m for m in response.json()[vendor]}


def config_file(tmp_path: Path, simulator, **silences_config) -> Path:
    base = simulator.base_url
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": base,
                "statuspage_url": f"{base}/status/klaviyo",
                # No key is read: the file need not exist.
                "accounts": [{"name": "main", "api_key_file": "missing.key"}],
            }
        ]
    }
    if silences_config:
        data["maintenances"] = {"silences": silences_config}
    path = tmp_path / "saas-exporter.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = COMMAND.run(["sync", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def sync(config: Path, am: str, *extra: str) -> tuple[int, str, str]:
    return run(f"--config.file={config}", f"--alertmanager-url={am}", "--margin=10m", *extra)


def matchers(silence: dict) -> list[tuple[str, str, bool, bool]]:
    return sorted(
        (m["name"], m["value"], m["isRegex"], m.get("isEqual", True)) for m in silence["matchers"]
    )


def test_one_silence_per_announced_window_and_a_second_run_changes_nothing(simulator, am, tmp_path):
    windows = announce(simulator, API_WINDOW, FORMS_WINDOW, CANCELLED)
    config = config_file(tmp_path, simulator)

    code, out, err = sync(config, am)

    assert (code, err) == (0, "")
    found = silences(am)
    assert [s["status"]["state"] for s in found] == ["active", "pending"]
    api_silence, forms_silence = found
    assert matchers(api_silence) == [
        ("cause", "vendor", False, True),
        ("component", "|Flow Triggering|Klaviyo API", True, True),
        ("silenceable_by", "vendor_maintenance", False, True),
        ("vendor", "klaviyo", False, True),
    ]
    # Signup Forms is not the API: only alerts about that component.
    assert ("component", "Signup Forms", True, True) in matchers(forms_silence)
    assert api_silence["createdBy"] == forms_silence["createdBy"] == CREATOR
    notice = f"{simulator.base_url}/status/klaviyo/incidents/m-forms"
    start = windows["m-forms"]["starts_at"]
    assert forms_silence["comment"] == (
        'Klaviyo announced maintenance "Signup Forms migration" (affects: Signup Forms), '
        f"{rfc3339(start)} to {rfc3339(start + 7200)}, plus a 10m margin each side. "
        f"Vendor notice: {notice}. Silences vendor-caused alerts only: a rejected key, a "
        "wrong account and monitoring gaps still page. Managed by saas-exporter silences "
        "sync [saas-exporter maintenance klaviyo/m-forms]"
    )
    assert api.rfc3339  # the stack's helper parses Alertmanager's times the same way
    assert abs(_unix(forms_silence["startsAt"]) - (start - MARGIN)) < 1
    assert abs(_unix(forms_silence["endsAt"]) - (start + 7200 + MARGIN)) < 1
    assert "+ create    m-api" in out and "+ create    m-forms" in out
    assert "would:" not in out and "did: 2 create, 0 update, 0 expire; 0 unchanged" in out

    ids = {s["id"] for s in silences(am, ("active", "pending", "expired"))}
    code, out, _ = sync(config, am)
    assert code == 0
    assert "did: 0 create, 0 update, 0 expire; 2 unchanged" in out
    assert {s["id"] for s in silences(am, ("active", "pending", "expired"))} == ids


def _unix(text: str) -> float:
    from saas_exporter.silences.model import parse_time

    return parse_time(text)


def test_dry_run_prints_the_diff_and_changes_nothing(simulator, am, tmp_path):
    announce(simulator, API_WINDOW)
    code, out, err = sync(config_file(tmp_path, simulator), am, "--dry-run")
    assert (code, err) == (0, "")
    assert silences(am) == []
    lines = out.splitlines()
    assert lines[0] == f"Alertmanager {am} (dry run, nothing changed; margin 10m)"
    assert lines[1] == "klaviyo: 1 maintenance(s) announced"
    assert lines[2].split() == ["+", "create", "m-api"]
    assert 'component=~"|Flow Triggering|Klaviyo API"' in lines[3]
    assert lines[-1] == "would: 1 create, 0 update, 0 expire; 0 unchanged"


def fixed(window: dict) -> dict:
    """The window at an absolute start, so announcing it again does not move it."""
    start = time.time() + window.pop("starts_in_seconds")
    return {**window, "starts_at": start}


def test_a_moved_window_updates_and_a_cancelled_one_expires(simulator, am, tmp_path):
    config = config_file(tmp_path, simulator)
    api_window, forms_window = fixed(dict(API_WINDOW)), fixed(dict(FORMS_WINDOW))
    announce(simulator, api_window, forms_window)
    assert sync(config, am)[0] == 0
    forms_id = silences(am)[1]["id"]

    moved = announce(simulator, api_window, {**forms_window, "duration_seconds": 10800})
    code, out, _ = sync(config, am, "--dry-run")
    assert "would: 0 create, 1 update, 0 expire; 1 unchanged" in out
    start = moved["m-forms"]["starts_at"]
    assert (
        f"~ update    m-forms silence {forms_id}: endsAt {rfc3339(start + 7200 + MARGIN)} -> "
        f"{rfc3339(start + 10800 + MARGIN)}"
    ) in out
    assert sync(config, am)[0] == 0
    assert abs(_unix(silences(am)[1]["endsAt"]) - (start + 10800 + MARGIN)) < 1

    announce(simulator, api_window, {**forms_window, "cancelled": True})
    code, out, _ = sync(config, am)
    assert code == 0
    assert "- expire    m-forms silence" in out and "no longer announced" in out
    assert [s["comment"].rsplit(" ", 1)[-1] for s in silences(am)] == ["klaviyo/m-api]"]


def test_an_unreadable_page_leaves_its_silences_alone(simulator, am, tmp_path):
    config = config_file(tmp_path, simulator)
    announce(simulator, API_WINDOW)
    assert sync(config, am)[0] == 0
    httpx.post(f"{simulator.base_url}/-/scenario", json={"scenario": "statuspage_down"})

    code, out, err = sync(config, am)

    assert code == 1
    assert "klaviyo: status page: 503: HTML page instead of JSON; silences left as they are" in out
    assert err == (
        "saas-exporter silences: klaviyo: status page: 503: HTML page instead of JSON; its "
        "silences were left as they are\n"
    )
    assert len(silences(am)) == 1


def test_silences_hold_vendor_caused_alerts_only(simulator, am, tmp_path):
    announce(simulator, API_WINDOW, FORMS_WINDOW)
    assert sync(config_file(tmp_path, simulator), am)[0] == 0
    base = {"vendor": "klaviyo", "priority": "P1", "severity": "critical"}
    silenceable = {"silenceable_by": "vendor_maintenance"}
    alerts = {
        "SaasProbeUnreachable": {**base, "cause": "vendor", **silenceable, "account": "main"},
        "SaasApiServerErrors": {**base, "cause": "vendor", **silenceable},
        # A revoked key during the window: the pack never marks it silenceable.
        "SaasProbeAuthFailing": {**base, "cause": "vendor", "account": "main"},
        "SaasAccountMismatch": {**base, "cause": "integration", "account": "main"},
        "SaasRateLimitHeadroomLow": {**base, "cause": "integration", **silenceable},
        # The Signup Forms window has not started; Analytics has none.
        "SaasVendorComponentDegraded": {
            **base,
            "cause": "vendor",
            **silenceable,
            "component": "Signup Forms",
        },
    }
    api.post_alerts(
        am, [{"labels": {"alertname": name, **labels}} for name, labels in alerts.items()]
    )
    deadline = time.monotonic() + 10
    while True:
        states = api.state_by_alertname(am)
        if len(states) == len(alerts) and "unprocessed" not in states.values():
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.1)
    assert states == {
        "SaasProbeUnreachable": "suppressed",
        "SaasApiServerErrors": "suppressed",
        "SaasProbeAuthFailing": "active",
        "SaasAccountMismatch": "active",
        "SaasRateLimitHeadroomLow": "active",
        "SaasVendorComponentDegraded": "active",
    }


def test_json_output(simulator, am, tmp_path):
    announce(simulator, API_WINDOW)
    code, out, _ = sync(config_file(tmp_path, simulator), am, "--output=json", "--dry-run")
    document = json.loads(out)
    assert (code, document["dry_run"], document["counts"]) == (
        0,
        True,
        {"create": 1, "update": 0, "expire": 0, "unchanged": 0},
    )
    (change,) = document["changes"]
    assert (change["action"], change["vendor"], change["maintenance"]) == (
        "create",
        "klaviyo",
        "m-api",
    )
    assert change["silence"]["createdBy"] == CREATOR
    assert document["vendors"] == [
        {"vendor": "klaviyo", "feed": "read", "error": None, "maintenances": 1}
    ]


def test_the_config_may_name_the_alertmanager_and_the_margin(simulator, am, tmp_path):
    announce(simulator, API_WINDOW)
    config = config_file(tmp_path, simulator, alertmanager_url=am, margin="5m")
    code, out, _ = run(f"--config.file={config}", "--dry-run")
    assert code == 0
    assert out.startswith(f"Alertmanager {am} (dry run, nothing changed; margin 5m)")


def test_usage_errors_and_an_unreachable_alertmanager(simulator, tmp_path):
    config = config_file(tmp_path, simulator)
    assert run(f"--config.file={config}") == (
        2,
        "",
        "saas-exporter silences: --alertmanager-url: required (or "
        "maintenances.silences.alertmanager_url in the config)\n",
    )
    code, _, err = run(f"--config.file={config}", "--alertmanager-url=http://x", "--margin=soon")
    assert code == 2 and err.startswith("saas-exporter silences: --margin: ")
    closed = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(f"--config.file={config}", f"--alertmanager-url={closed}")
    assert code == 3
    assert f"cannot read its silences: GET {closed}/api/v2/silences: ConnectError" in out


def test_inside_the_exporter_on_an_interval(simulator, am):
    data = demo_config_data(simulator.base_url, {"statuspage": "4s"}, vendors=("klaviyo",))
    data["maintenances"] = {"silences": {"alertmanager_url": am, "interval": "1s", "margin": "10m"}}
    announce(simulator, API_WINDOW)
    runtime = ExporterRuntime(load_config_data(data, demo_env()), ("127.0.0.1", 0))
    runtime.start()
    try:
        poll(lambda: len(silences(am)) == 1, 30, "the exporter's first sync")
        poll(
            lambda: 'saas_silences_managed{vendor="klaviyo"} 1.0' in metrics(runtime),
            10,
            "saas_silences_managed",
        )
        text = metrics(runtime)
        assert 'saas_silence_sync_runs_total{outcome="success"}' in text
        assert "saas_silence_sync_last_success_timestamp_seconds " in text

        announce(simulator, {**API_WINDOW, "cancelled": True})
        poll(lambda: silences(am) == [], 30, "the cancelled maintenance's silence to expire")
    finally:
        runtime.stop()


def metrics(runtime) -> str:
    return httpx.get(f"{runtime.url}/metrics").text
