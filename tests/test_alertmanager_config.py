"""The shipped Alertmanager config: amtool accepts it, and every priority and vendor
routes to the receivers the incident runbook promises."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from saas_pack import thresholds
from saas_tools.checkout import Checkout
from saas_tools.stack.configs import GroupTimers, write_capture_alertmanager_config
from saas_tools.stack.processes import AMTOOL, binary

from tests.conftest import REPO

ALERTMANAGER_CONFIG = Checkout(REPO).alertmanager_config

VENDORS = ("klaviyo", "clay")


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary(AMTOOL), *args], capture_output=True, text=True, timeout=30, check=False
    )


def shipped() -> dict:
    return yaml.safe_load(ALERTMANAGER_CONFIG.read_text())


def test_amtool_check_config_accepts_the_shipped_config_and_its_templates():
    result = amtool("check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"Checking '{ALERTMANAGER_CONFIG}'  SUCCESS"
    assert " - 5 receivers" in result.stdout
    assert " - 2 inhibit rules" in result.stdout


def test_amtool_check_config_accepts_the_capture_copy(tmp_path):
    path = write_capture_alertmanager_config(
        tmp_path / "alertmanager.yml",
        "http://127.0.0.1:1",
        ALERTMANAGER_CONFIG,
        timers=GroupTimers(),
        always_business_hours=True,
    )
    result = amtool("check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


# (labels beyond vendor/account, expected receivers): one row per priority, plus the
# catch-all for a rule that forgot its priority.
P = "priority"
ROUTES = [
    ({P: "P1", "severity": "critical", "alertname": "SaasProbeAuthFailing"}, "p1-page-high"),
    ({P: "P2", "severity": "critical", "alertname": "SaasProbeRateLimited"}, "p2-page-low"),
    ({P: "P3", "severity": "warning", "alertname": "SaasRateLimitHeadroomLow"}, "p3-ticket"),
    ({P: "P4", "severity": "info", "alertname": "SaasStatusPageUnreachable"}, "p4-business-hours"),
    ({"severity": "critical", "alertname": "SomeRuleWithoutPriority"}, "fallback"),
    ({P: "P5", "alertname": "SaasTypoPriority"}, "fallback"),
]


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize(("labels", "receiver"), ROUTES, ids=[r for _, r in ROUTES])
@pytest.mark.parametrize("cause", ["vendor", "integration", "infrastructure"])
def test_amtool_routes_each_priority_of_each_vendor(vendor, labels, receiver, cause):
    pairs = [
        f"{k}={v}"
        for k, v in {"vendor": vendor, "account": "main", "cause": cause, **labels}.items()
    ]
    result = amtool(
        "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}", *pairs,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_amtool_routes_test_fails_on_a_wrong_receiver():
    result = amtool(
        "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
        "--verify.receivers=p4-business-hours", "vendor=klaviyo", "priority=P1",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "p1-page-high",
        "WARNING: Expected receivers did not match resolved receivers.",
    ]


def test_route_timers_follow_the_runbook_response_times():
    route = shipped()["route"]
    assert route["receiver"] == "fallback"
    assert route["group_by"] == ["vendor", "account", "alertname"]
    timers = {
        r["matchers"][0]: (
            r["receiver"], r["group_wait"], r["group_interval"], r["repeat_interval"],
            r.get("active_time_intervals"),
        )
        for r in route["routes"]
    }  # fmt: skip
    assert timers == {
        'priority="P1"': ("p1-page-high", "10s", "1m", "15m", None),
        'priority="P2"': ("p2-page-low", "30s", "5m", "1h", None),
        'priority="P3"': ("p3-ticket", "1m", "10m", "4h", None),
        'priority="P4"': ("p4-business-hours", "5m", "1h", "24h", ["business-hours"]),
    }
    assert shipped()["time_intervals"] == [
        {
            "name": "business-hours",
            "time_intervals": [
                {
                    "weekdays": ["monday:friday"],
                    "times": [{"start_time": "09:00", "end_time": "17:00"}],
                    "location": "Europe/London",
                }
            ],
        }
    ]


def test_inhibition_is_scoped_to_the_same_vendor_and_account():
    assert shipped()["inhibit_rules"][0] == {
        "source_matchers": ['priority="P1"'],
        "target_matchers": ['priority=~"P2|P3|P4"'],
        "equal": ["vendor", "account"],
    }


def test_the_vendor_wide_inhibitions_are_the_tables():
    """Each row's `inhibits` is one inhibit rule, same vendor; nothing else mutes by name."""
    table = thresholds.load(REPO)
    wanted = [
        {
            "source_matchers": [f'alertname="{row.name}"'],
            "target_matchers": [f'alertname=~"{"|".join(row.inhibits)}"'],
            "equal": ["vendor"],
        }
        for row in table.alerts
        if row.inhibits
    ]
    assert wanted and shipped()["inhibit_rules"][1:] == wanted


def integrations(receiver: dict) -> dict[str, list]:
    return {k: v for k, v in receiver.items() if k.endswith("_configs")}


def test_receivers_page_only_for_p1_and_p2_with_their_urgency():
    receivers = {r["name"]: integrations(r) for r in shipped()["receivers"]}
    summary = {
        name: sorted(
            (kind, c.get("severity") or c.get("channel") or c.get("url"))
            for kind, configs in integ.items()
            for c in configs
        )
        for name, integ in receivers.items()
    }
    assert summary == {
        "p1-page-high": [("pagerduty_configs", "critical"), ("slack_configs", "#saas-incidents")],
        "p2-page-low": [("pagerduty_configs", "warning"), ("slack_configs", "#saas-incidents")],
        "p3-ticket": [
            ("slack_configs", "#saas-alerts"),
            ("webhook_configs", "http://ticket-bridge.invalid/alertmanager"),
        ],
        "p4-business-hours": [("slack_configs", "#saas-alerts")],
        "fallback": [("slack_configs", "#saas-alerts")],
    }


def test_secrets_are_read_from_files_never_inline():
    for receiver in shipped()["receivers"]:
        for slack in receiver.get("slack_configs", []):
            assert "api_url" not in slack
            assert slack["api_url_file"].startswith("/etc/alertmanager/secrets/")
            assert slack["send_resolved"] is True
        for pagerduty in receiver.get("pagerduty_configs", []):
            assert "routing_key" not in pagerduty and "service_key" not in pagerduty
            assert (
                pagerduty["routing_key_file"] == "/etc/alertmanager/secrets/pagerduty-routing-key"
            )
