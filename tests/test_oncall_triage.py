"""triage against the simulator, with live probes or a running exporter: every branch
of the decision tree and its exit code, the evidence, the actions per error type."""

from __future__ import annotations

import io
import json
import time

import pytest

from saas_exporter.config import load_config
from saas_exporter.oncall import triage
from saas_exporter.runtime import ExporterRuntime
from tests.oncall_support import run_command, write_config

DEAD = "http://127.0.0.1:9"  # nothing listens on the loopback discard port


def run_json(argv, clock=time.time):
    code, out, err = run_command(triage.run, [*argv, "--output", "json"], clock=clock)
    return code, json.loads(out)["vendors"]["klaviyo"], err


@pytest.fixture
def config(tmp_path, simulator):
    return write_config(tmp_path, simulator.base_url)


@pytest.mark.parametrize(
    ("scenario", "branch", "code", "kinds", "action_titles"),
    [
        ("healthy", "monitor", 0, [], []),
        ("minor_incident", "monitor", 0, [], []),
        ("auth_failure", "integration", 1, ["auth"], ["401/403, authentication"]),
        ("forbidden", "integration", 1, ["forbidden"], ["401/403, authentication"]),
        ("rate_limited", "integration", 1, ["throttled"], ["429, rate limited"]),
        ("outage_5xx", "integration", 1, ["server_error"], ["500/503, vendor errors"]),
        (
            "cloudflare_challenge",
            "integration",
            1,
            ["cloudflare_challenge"],
            ["Cloudflare bot challenge"],
        ),
        (
            "vendor_incident",
            "vendor_incident",
            4,
            ["server_error"],
            ["500/503, vendor errors", "Vendor incident"],
        ),
    ],
)
def test_branches_live(config, simulator, scenario, branch, code, kinds, action_titles):
    simulator.set_scenario("klaviyo", scenario)
    got, report, _ = run_json(["--config.file", str(config)])
    assert (got, report["branch"], report["exit_code"]) == (code, branch, code)
    assert report["error_kinds"] == kinds
    assert [a["title"] for a in report["actions"]] == action_titles
    assert report["evidence"]["source"] == "live probes"
    assert simulator.request_counts()["/api/accounts/"] == 1


def test_integration_walk_and_key_source(config, simulator):
    simulator.set_scenario("klaviyo", "auth_failure")
    _, report, _ = run_json(["--config.file", str(config)])
    assert report["cause"] == "integration"
    assert report["steps"] == [
        {
            "question": "API returning errors?",
            "answer": True,
            "because": "main/accounts probe: auth (HTTP 401); main/profiles probe: auth (HTTP 401)",
        },
        {
            "question": "Vendor-side (status page shows the API affected, or most accounts fail)?",
            "answer": False,
            "because": "status page indicator none: All Systems Operational; the API "
            "(Klaviyo API: operational) is not affected; 1 of 1 accounts failing",
        },
        {
            "question": "Only timeouts, connection or TLS errors?",
            "answer": False,
            "because": "auth",
        },
    ]
    assert report["actions"][0]["steps"][-1] == (
        f"klaviyo/main reads its key from file {config.parent / 'klaviyo.key'}"
    )
    assert report["evidence"]["probes"][0] == {
        "account": "main",
        "probe": "accounts",
        "success": False,
        "reason": "auth",
        "http_status": 401,
        "error": "401: Incorrect authentication credentials.",
        "stale": False,
    }


def test_vendor_incident_walk(config, simulator):
    simulator.set_scenario("klaviyo", "vendor_incident")
    _, report, _ = run_json(["--config.file", str(config)])
    assert report["cause"] == "vendor"
    assert report["steps"][1] == {
        "question": "Vendor-side (status page shows the API affected, or most accounts fail)?",
        "answer": True,
        "because": "the status page indicator is major; incident 'Elevated error rates on "
        "the Klaviyo API' "
        "(major, identified); component Klaviyo API: major_outage; component Flow "
        "Triggering: degraded_performance",
    }
    assert report["next_step"] == (
        "Wait for the vendor to resolve it, enable the fallback, follow the status page."
    )


def test_account_mismatch(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url, expected_account_id="OTHER1")
    code, report, _ = run_json(["--config.file", str(config)])
    assert (code, report["branch"], report["error_kinds"]) == (
        1,
        "integration",
        ["account_mismatch"],
    )
    assert [a["title"] for a in report["actions"]] == ["Key answers for another account"]


def test_connection_errors_are_the_network_branch(tmp_path, simulator):
    config = write_config(
        tmp_path,
        DEAD,
        vendor={"statuspage_url": f"{simulator.base_url}/status/klaviyo"},
    )
    code, report, _ = run_json(["--config.file", str(config)])
    assert (code, report["branch"], report["cause"]) == (3, "network", "infrastructure")
    assert report["steps"][2] == {
        "question": "Only timeouts, connection or TLS errors?",
        "answer": True,
        "because": "connection",
    }
    assert [a["title"] for a in report["actions"]] == ["Timeouts and connection errors"]


def test_timeouts_are_the_network_branch(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url, vendor={"timeout": "1s"})
    simulator.set_scenario("klaviyo", "slow", delay_seconds=1.5)
    code, report, _ = run_json(["--config.file", str(config)])
    assert (code, report["branch"], report["error_kinds"]) == (3, "network", ["timeout"])
    assert report["evidence"]["probes"][0]["error"] == "ReadTimeout: no response within 1s"


def test_unreachable_status_page_is_our_infrastructure(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url, vendor={"statuspage_url": DEAD})
    code, report, _ = run_json(["--config.file", str(config)])
    assert (code, report["branch"], report["cause"]) == (3, "infrastructure", "infrastructure")
    assert report["steps"][1]["question"] == "Our side healthy?"
    assert report["steps"][1]["because"].startswith(
        "the status page cannot be reached from here (connection: ConnectError: "
    )
    assert [a["title"] for a in report["actions"]] == ["Monitoring gap"]
    assert report["actions"][0]["steps"][0] == (
        "Check the exporter's process and its `/metrics` page, and Prometheus's target page "
        "for the job."
    )


def test_status_page_answering_503_is_not_ours(config, simulator):
    simulator.set_scenario("klaviyo", "statuspage_down")
    code, report, _ = run_json(["--config.file", str(config)])
    assert (code, report["branch"]) == (0, "monitor")
    assert report["evidence"]["statuspage"]["error"] == "503: HTML page instead of JSON"


@pytest.fixture
def exporter(config):
    runtime = ExporterRuntime(load_config(config), ("127.0.0.1", 0))
    runtime.start()
    # Start-up runs are staggered: let them all land before a test counts vendor calls.
    assert runtime.store.wait_all_probed(10)
    yield runtime
    runtime.stop()


def test_reads_a_running_exporter(config, simulator, exporter):
    simulator.set_scenario("klaviyo", "auth_failure")
    exporter.probe_all_now()
    before = simulator.request_counts()
    code, report, _ = run_json(
        ["--config.file", str(config), "--exporter-url", f"http://{exporter.address}"]
    )
    assert simulator.request_counts() == before  # read from the exporter, no vendor call
    assert (code, report["branch"]) == (1, "integration")
    assert report["evidence"]["source"] == f"exporter http://{exporter.address}"
    assert report["evidence"]["probes"] == [
        {
            "account": "main",
            "probe": "accounts",
            "success": False,
            "reason": "auth",
            "http_status": 401,
            "error": "auth: 401: Incorrect authentication credentials.",
            "stale": False,
        },
        {
            "account": "main",
            "probe": "profiles",
            "success": False,
            "reason": "auth",
            "http_status": 401,
            # /health names one error per account; the same reason carries it over.
            "error": "auth: 401: Incorrect authentication credentials.",
            "stale": False,
        },
    ]
    assert report["evidence"]["statuspage"]["indicator"] == "none"


def test_exporter_incident_state(config, simulator, exporter):
    simulator.set_scenario("klaviyo", "vendor_incident")
    exporter.probe_all_now()
    code, report, _ = run_json(
        ["--config.file", str(config), "--exporter-url", f"http://{exporter.address}"]
    )
    assert (code, report["branch"]) == (4, "vendor_incident")
    page = report["evidence"]["statuspage"]
    assert page["incidents"] == [
        {
            "name": "Elevated error rates on the Klaviyo API",
            "impact": "major",
            "status": "identified",
            "url": f"{simulator.base_url}/status/klaviyo/incidents/sim-incident-api",
        }
    ]
    assert page["degraded_components"] == [
        "Flow Triggering: degraded_performance",
        "Klaviyo API: major_outage",
    ]


def test_stale_exporter_is_our_infrastructure(config, exporter):
    code, report, _ = run_json(
        ["--config.file", str(config), "--exporter-url", f"http://{exporter.address}"],
        clock=lambda: time.time() + 3600,
    )
    assert (code, report["branch"]) == (3, "infrastructure")
    assert report["evidence"]["infrastructure"][0].startswith(
        "probe klaviyo/statuspage is stale: last ran 3600s ago, interval 600s"
    )
    assert [p["stale"] for p in report["evidence"]["probes"]] == [True, True]


def test_unreachable_exporter_falls_back_to_live_probes(config):
    code, report, _ = run_json(["--config.file", str(config), "--exporter-url", DEAD])
    assert (code, report["branch"]) == (3, "infrastructure")
    assert report["evidence"]["source"] == "live probes"
    assert report["evidence"]["infrastructure"][0].startswith(
        f"the exporter at {DEAD} cannot be read: "
    )


def test_text_report(config, simulator):
    simulator.set_scenario("klaviyo", "rate_limited")
    code, out, _ = run_command(triage.run, ["--config.file", str(config)])
    assert code == 1
    lines = out.splitlines()
    assert lines[:3] == [
        "klaviyo: INTEGRATION (cause=integration, exit 1)",
        "  Ours: the vendor answers with errors and reports no incident.",
        "  Decision tree:",
    ]
    assert (
        "    main/accounts: FAIL throttled: 429: Request was throttled. Expected available "
        "in 30 seconds."
    ) in lines
    assert "    429, rate limited" in lines
    assert lines[-1] == (
        "  Next: Check our credentials and config: the key, its scopes, the account, the revision."
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_only(config, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    assert triage.run(["--config.file", str(config)], out=out) == 0
    assert out.getvalue().startswith("\033[32mklaviyo: MONITOR\033[0m")
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    triage.run(["--config.file", str(config)], out=out)
    assert "\033[" not in out.getvalue()


def test_usage_errors_exit_2(tmp_path, config):
    missing = tmp_path / "missing.yml"
    code, out, err = run_command(triage.run, ["--config.file", str(missing)])
    assert (code, out) == (2, "")
    assert err == (
        f"saas-exporter triage: {missing}: cannot read the config: No such file or directory\n"
    )
    code, _, err = run_command(triage.run, ["--config.file", str(config), "--vendor", "clay"])
    assert code == 2
    assert err == (
        "saas-exporter triage: --vendor: no vendor named 'clay' in the config "
        "(configured: klaviyo)\n"
    )


def test_invalid_config_exits_2_with_every_problem(config):
    # triage needs the probes: a config the exporter would refuse cannot be triaged.
    config.write_text(config.read_text().replace("revision: '2026-07-15'", "revision: 15"))
    code, out, err = run_command(triage.run, ["--config.file", str(config)])
    assert (code, out) == (2, "")
    assert err == (
        f"saas-exporter triage: invalid config {config}:\n"
        "  vendors[0].revision: expected an API revision date like 2026-07-15, got 15\n"
    )
