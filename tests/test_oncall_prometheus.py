"""triage, postmortem and bundle against a real Prometheus scraping the exporter and an
app's in-app series, evaluating the rule pack on a test clock (see oncall_support).

One Prometheus for the module; tests run in file order and each returns the vendor to
healthy with no alert pending or firing before the next starts.
"""

from __future__ import annotations

import json
import math
import re
import tarfile
import time
from datetime import UTC, datetime

import pytest

from saas_exporter.oncall import bundle, postmortem, triage
from saas_exporter.oncall.bundle_evidence import KEY_SERIES
from saas_exporter.oncall.prometheus_evidence import INAPP_ERRORS
from tests.oncall_support import APP_HEADERS, KEY, Lab, run_command, wait_until, write_config

DEAD = "http://127.0.0.1:9"
TIME = re.compile(r"^- \d\d:\d\d:\d\d - ")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("oncall-lab"))
    yield lab
    lab.close()


def since(start: float) -> str:
    """A window that starts at `start`, after the previous test's alerts resolved."""
    return f"{math.floor((time.time() - start) * 1000)}ms"


def timeline(document: str) -> list[str]:
    lines = document.split("### Timeline (UTC)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert all(TIME.match(line) for line in lines)
    return [TIME.sub("", line) for line in lines]


def triage_klaviyo(lab, prometheus_url: str) -> tuple[int, dict]:
    """`triage --output json` against the lab's config and `prometheus_url`: the exit
    code and Klaviyo's report."""
    code, out, _ = run_command(
        triage.run,
        [
            "--config.file",
            str(lab.config_file),
            "--prometheus-url",
            prometheus_url,
            "--output",
            "json",
        ],
    )
    return code, json.loads(out)["vendors"]["klaviyo"]


def test_postmortem_with_nothing_fired_exits_3(lab):
    # Start-up alerts (no scrape yet) resolved; wait until none is in the last 2s.
    wait_until("2s without alerts", lambda: not lab.prometheus.query("max_over_time(ALERTS[2s])"))
    argv = ["--prometheus-url", lab.prometheus.url, "--config.file", str(lab.config_file)]
    code, out, err = run_command(postmortem.run, [*argv, "--since", "1s"])
    assert (code, out) == (3, "")
    assert err == (
        "saas-exporter postmortem: no Saas alert fired in the last 1s: nothing to write up\n"
    )


def test_triage_with_prometheus_monitor(lab):
    code, report = triage_klaviyo(lab, lab.prometheus.url)
    assert (code, report["branch"]) == (0, "monitor")
    assert report["steps"][0]["because"] == (
        "every API probe succeeded and Prometheus shows no in-app API errors in the last 5 minutes"
    )


def test_triage_prometheus_unreachable_is_ours(lab):
    code, report = triage_klaviyo(lab, DEAD)
    assert (code, report["branch"]) == (3, "infrastructure")
    assert report["evidence"]["infrastructure"][0].startswith(
        f"Prometheus cannot be queried: {DEAD}/api/v1/query: ConnectError: "
    )


def test_triage_infrastructure_alert_firing(lab):
    lab.scenario("statuspage_down")
    lab.wait_firing(("SaasStatusPageUnreachable", "infrastructure"))
    code, report = triage_klaviyo(lab, lab.prometheus.url)
    assert (code, report["branch"]) == (3, "infrastructure")
    assert report["steps"][1] == {
        "question": "Our side healthy?",
        "answer": False,
        "because": "alert firing: SaasStatusPageUnreachable (priority=P4, cause=infrastructure)",
    }
    lab.back_to_healthy()


def test_postmortem_of_an_auth_failure(lab, tmp_path):
    start = time.time()
    lab.scenario("auth_failure")
    lab.wait_firing(("SaasProbeAuthFailing", "integration"))
    lab.back_to_healthy()
    end = time.time()
    window = f"{math.floor((end - start) * 1000)}ms"
    argv = ["--prometheus-url", lab.prometheus.url, "--config.file", str(lab.config_file)]
    # One clock for both drafts below: the same window, the same points.
    code, markdown, _ = run_command(postmortem.run, [*argv, "--since", window], clock=lambda: end)
    assert code == 0
    lines = markdown.splitlines()
    assert lines[0] == "## Incident: Klaviyo authentication failure (401/403)"
    assert lines[1] == f"**Date:** {datetime.now(UTC).date().isoformat()}"
    assert re.fullmatch(
        r"\*\*Duration:\*\* \d+ seconds? "
        r"\(first alert firing \S+ \S+ UTC, last resolved \S+ \S+ UTC\)",
        lines[2],
    )
    assert lines[3] == (
        "**Severity:** P1 (highest priority that fired: SaasProbeAuthFailing "
        "(klaviyo/main/accounts/auth; priority=P1, cause=integration))"
    )
    assert lines[9] == (
        "Ours, integration (cause=integration): credentials, scopes or config; the vendor "
        "reported no incident."
    )
    events = [e for e in timeline(markdown) if not e.startswith("pending")]
    alert = "SaasProbeAuthFailing (klaviyo/main/{}/auth; priority=P1, cause=integration)"
    assert events == [
        "firing: " + alert.format("accounts"),
        "firing: " + alert.format("profiles"),
        "resolved: " + alert.format("accounts"),
        "resolved: " + alert.format("profiles"),
    ]
    for placeholder in (
        "[TODO: technical explanation]",
        "- Users affected: [TODO: N]",
        "- Revenue impact: [TODO: $X]",
    ):
        assert placeholder in lines

    # The same draft as JSON, written to --out: the same facts, the same timeline.
    path = tmp_path / "draft.json"
    code, out, err = run_command(
        postmortem.run,
        [*argv, "--since", window, "--output", "json", "--out", str(path)],
        clock=lambda: end,
    )
    assert (code, out, err) == (0, "", f"saas-exporter postmortem: wrote {path}\n")
    draft = json.loads(path.read_text())
    assert (draft["title"], draft["severity"], draft["cause"], draft["ongoing"]) == (
        "Incident: Klaviyo authentication failure (401/403)",
        "P1",
        "integration",
        False,
    )
    assert draft["cause_text"] == lines[9]
    assert [e["text"] for e in draft["timeline"]] == timeline(markdown)


def test_vendor_incident_postmortem_and_bundle(lab, tmp_path):
    start = time.time()
    lab.scenario("vendor_incident")
    lab.wait_firing(("SaasProbeUnreachable", "vendor"), ("SaasVendorIncidentMajor", "vendor"))
    argv = ["--prometheus-url", lab.prometheus.url, "--config.file", str(lab.config_file)]
    code, ongoing, _ = run_command(postmortem.run, [*argv, "--since", since(start)])
    assert code == 0
    lines = ongoing.splitlines()
    assert lines[0] == "## Incident: Klaviyo API unreachable (5xx, timeouts)"
    assert re.fullmatch(
        r"\*\*Duration:\*\* \d+ seconds? so far: still firing at \S+ \S+ UTC", lines[2]
    )
    assert lines[9].startswith("Vendor-side (cause=vendor)")
    events = timeline(ongoing)
    assert (
        "klaviyo status page update: 'Elevated error rates on the Klaviyo API' identified: "
        "We are investigating: elevated error rates on the klaviyo api."
    ) in events
    assert events[0] == (
        "klaviyo status page update: 'Elevated error rates on the Klaviyo API' identified: "
        "We are investigating: elevated error rates on the klaviyo api."
    )
    assert (
        "status page (seen by the probe): 'Elevated error rates on the Klaviyo API' "
        "identified, impact major" in events
    )
    assert "firing: SaasVendorIncidentMajor (klaviyo; priority=P2, cause=vendor)" in events

    out_file = tmp_path / "evidence.tar.gz"
    code, out, err = run_command(
        bundle.run,
        [
            *argv,
            "--since",
            since(start),
            "--exporter-url",
            lab.exporter_url,
            "--out",
            str(out_file),
        ],
    )
    assert (code, err) == (0, "")
    assert out == f"{out_file}: 22 of 22 items collected (23 files)\n"
    with tarfile.open(out_file) as tar:
        members = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers()}
    assert sorted(members) == sorted(
        [
            "manifest.json",
            "config.yaml",
            "versions.json",
            "exporter/metrics.txt",
            "exporter/health.json",
            "statuspage/klaviyo/summary.json",
            "statuspage/klaviyo/incidents.json",
            "prometheus/buildinfo.json",
        ]
        + [f"prometheus/{name}.json" for name in KEY_SERIES]
    )
    alerts = json.loads(members["prometheus/alerts.json"])
    firing = {
        r["metric"]["alertname"]
        for r in alerts["data"]["result"]
        if r["metric"]["alertstate"] == "firing"
    }
    assert firing == {
        "SaasProbeUnreachable",
        "SaasVendorIncidentMajor",
        "SaasVendorComponentDegraded",
    }
    incidents = json.loads(members["statuspage/klaviyo/incidents.json"])["incidents"]
    assert [i["name"] for i in incidents] == ["Elevated error rates on the Klaviyo API"]
    versions = json.loads(members["versions.json"])
    assert versions["saas_exporter"] == "0.1.0"
    assert versions["prometheus"]["version"].startswith("2.42.0")
    assert json.loads(members["exporter/health.json"])["status"] == "down"
    for name, data in members.items():
        assert KEY.encode() not in data, name
        assert b"pk_sim" not in data, name

    lab.back_to_healthy()
    code, resolved, _ = run_command(postmortem.run, [*argv, "--since", since(start)])
    assert code == 0
    assert (
        "status page (seen by the probe): 'Elevated error rates on the Klaviyo API' "
        "no longer listed" in timeline(resolved)
    )
    assert re.fullmatch(
        r"\*\*Duration:\*\* \d+ seconds? \(first alert firing .+\)", resolved.splitlines()[2]
    )


def test_bundle_without_prometheus_is_partial_and_keyless(lab, tmp_path):
    inline = "pk_inline_0123456789abcdef"
    # An inline key: the loader refuses it, the bundle still copies the config, without it.
    config = write_config(
        tmp_path, lab.simulator.base_url, account={"api_key": inline, "token": "tok-secret-value"}
    )
    out_file = tmp_path / "b.tar.gz"
    code, out, err = run_command(
        bundle.run, ["--prometheus-url", DEAD, "--config.file", str(config), "--out", str(out_file)]
    )
    assert code == 3
    assert err.count("saas-exporter bundle: not collected: ") == 16
    assert out == f"{out_file}: 4 of 20 items collected (5 files)\n"
    assert out_file.stat().st_mode & 0o777 == 0o600
    with tarfile.open(out_file) as tar:
        members = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers()}
    for data in members.values():
        assert inline.encode() not in data
        assert b"tok-secret-value" not in data
    sanitized = members["config.yaml"].decode()
    assert "api_key: <redacted>" in sanitized
    assert "token: <redacted>" in sanitized
    manifest = json.loads(members["manifest.json"])
    assert [i["ok"] for i in manifest["items"]].count(False) == 16


def test_postmortem_prometheus_unreachable_exits_1(lab):
    code, _, err = run_command(
        postmortem.run, ["--prometheus-url", DEAD, "--config.file", str(lab.config_file)]
    )
    assert code == 1
    assert err.startswith(f"saas-exporter postmortem: {DEAD}/api/v1/query: ConnectError: ")


def test_usage_errors_exit_2(lab):
    for run in (postmortem.run, bundle.run):
        code, _, err = run_command(run, ["--prometheus-url", lab.prometheus.url, "--since", "soon"])
        assert code == 2
        assert "--since: expected a duration like 500ms, 30s, 1m30s, 10m or 2h, got 'soon'" in err


def test_triage_sees_the_apps_own_errors(lab):
    """Last: the app's 401s stay in the 5-minute window for the rest of the module."""
    lab.simulator.set_scenario("klaviyo", "auth_failure")  # the probes are not triggered
    headers = APP_HEADERS
    with lab.app_client() as app:
        app.get("/api/profiles/", headers=headers)
        wait_until(
            "the app's 401 series scraped",
            lambda: lab.prometheus.query('saas_api_requests_total{code="401"}'),
        )
        app.get("/api/profiles/", headers=headers)
    wait_until("an in-app error rate", lambda: lab.prometheus.query(INAPP_ERRORS))
    lab.simulator.set_scenario("klaviyo", "healthy")
    code, report = triage_klaviyo(lab, lab.prometheus.url)
    assert (code, report["branch"], report["error_kinds"]) == (1, "integration", ["auth"])
    assert [p["success"] for p in report["evidence"]["probes"]] == [True, True]
    (line,) = report["evidence"]["prometheus"]
    assert line.startswith("Prometheus: ") and line.endswith(
        " in-app requests answered 401 in the last 5m"
    )
