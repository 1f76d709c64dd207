"""The incident drill end to end: simulator, exporter, real Prometheus with the pack's
rules (`for` scaled to seconds), real Alertmanager with the shipped config and templates,
receivers captured locally. The suite runs two scenarios: the revoked key during an
unrelated minor incident (a P1 paging PagerDuty and Slack as ours, its text checked
against the runbook, beside the status page's own P3s, then resolved), and the announced
maintenance (its silence holds every vendor-caused page while the vendor fails, and a
revoked key during the window still pages P1); `make drill` runs the same code with
every scenario."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from saas_tools.checkout import Checkout
from saas_tools.drill.__main__ import main as drill_main
from saas_tools.drill.results import Timings, detection_table, expected_keys
from saas_tools.drill.rules import drill_rules
from saas_tools.drill.run import Drill
from saas_tools.drill.scenarios import SCENARIOS, VENDORS, Scenario

from tests.conftest import REPO

# The scenarios the suite runs end to end; `make drill` runs them all.
IN_THE_SUITE = [
    s
    for s in SCENARIOS
    if s.name
    in (
        "revoked key during an unrelated minor incident",
        "announced maintenance, then a revoked key",
    )
]


def scenario_param(scenario: Scenario):
    return pytest.param(scenario, id=scenario.id)


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    with Drill(Checkout(REPO), say=print) as running:
        running.results = []  # type: ignore[attr-defined]
        yield running
        print(detection_table(running.results, Timings()))  # type: ignore[attr-defined]


@pytest.mark.parametrize("scenario", [scenario_param(s) for s in IN_THE_SUITE])
def test_each_fault_pages_the_right_receivers_with_the_runbook_text_then_resolves(drill, scenario):
    # run_scenario raises DrillFailure on a missing, unexpected or wrongly worded
    # notification (the Slack text is checked line by line against the runbook).
    result = drill.run_scenario(scenario)
    drill.results.append(result)
    assert result.firing_keys() == expected_keys(scenario)
    assert result.resolved_keys() == expected_keys(scenario)
    assert [d.expected for d in result.detections] == list(scenario.expected)


def test_the_scenarios_cover_every_priority_and_cause():
    expected = [e for s in SCENARIOS for e in s.expected]
    assert {e.priority for e in expected} == {"P1", "P2", "P3", "P4"}
    assert {e.cause for e in expected} == {"vendor", "integration", "infrastructure"}


def test_the_detection_scenarios_are_in_the_drill():
    by_name = {s.name: s for s in SCENARIOS}
    revoked = by_name["revoked key during an unrelated minor incident"]
    assert revoked.faults[0].page == "minor_incident"
    assert [(e.alertname, e.cause) for e in revoked.expected if e.priority == "P1"] == [
        ("SaasProbeAuthFailing", "integration")
    ]
    wide = by_name["three accounts fail at once, page green"]
    assert wide.faults[0].accounts == ("main", "eu", "us")
    # One page: the per-account SaasProbeUnreachable pages are inhibited (any would be an
    # unexpected notification, which fails the scenario).
    assert [(e.alertname, e.priority, e.cause, e.account) for e in wide.expected] == [
        ("SaasVendorWideFailure", "P1", "vendor", "")
    ]


def test_the_maintenance_scenario_silences_only_what_the_pack_marks_silenceable():
    by_name = {s.name: s for s in SCENARIOS}
    maintenance = by_name["announced maintenance, then a revoked key"]
    assert maintenance.announced is not None
    assert maintenance.announced.window["components"] == ["Klaviyo API"]
    rules = {
        rule["alert"]: rule["labels"]
        for path in (REPO / "rules").glob("*.rules.yaml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    # What the silence must hold is silenceable; the P1 that must page is not.
    assert {e.alertname for e in maintenance.silenced} == {
        "SaasVendorWideFailure",
        "SaasProbeUnreachable",
    }
    for expected in maintenance.silenced:
        assert rules[expected.alertname].get("silenceable_by") == "vendor_maintenance"
    assert [(e.alertname, e.priority) for e in maintenance.expected] == [
        ("SaasProbeAuthFailing", "P1")
    ]
    assert "silenceable_by" not in rules["SaasProbeAuthFailing"]


def test_the_scenarios_cover_clay_and_both_vendors_at_once():
    clay = {(e.alertname, e.priority, e.cause, e.account) for s in SCENARIOS for e in s.expected
            if e.vendor == "clay"}  # fmt: skip
    assert clay == {
        ("SaasCreditsExhausted", "P2", "integration", "main"),
        ("SaasProbeUnreachable", "P1", "vendor", "main"),
        ("SaasVendorIncidentMajor", "P2", "vendor", ""),
    }
    # A P2 of one vendor breaking while the other's P1 on an account of the same name
    # fires, both ways round: inhibition (equal: [vendor, account]) must let it through.
    crossed = {
        (p1.vendor, p2.vendor)
        for s in SCENARIOS
        for p1 in s.expected
        for p2 in s.expected
        if p1.priority == "P1" and p2.priority == "P2" and p1.account == p2.account == "main"
        and (s.stage_of(p1.vendor), s.stage_of(p2.vendor)) == (0, 1)
    }  # fmt: skip
    assert crossed == {("klaviyo", "clay"), ("clay", "klaviyo")}


def test_recovery_leaves_nothing_pending_or_firing(drill):
    # Each scenario heals its vendors and waits until nothing is pending or firing.
    assert [drill.simulator.scenario(v).name for v in VENDORS] == ["healthy", "healthy"]
    assert drill.prometheus.alerts() == []
    # Klaviyo's accounts and profiles probes of its three accounts and its status page;
    # Clay's api and status page.
    assert drill.prometheus.value("sum(saas_probe_success)") == 9.0


def test_the_floor_uses_the_evaluation_interval_prometheus_reports(drill):
    # The pack's groups set no interval: they inherit the drill Prometheus's global 1 s,
    # which the running Prometheus reports per group.
    rule = drill.rules.rule("SaasVendorWideFailure", "klaviyo")
    assert rule.evaluation_interval == 1.0
    assert drill.floor("SaasVendorWideFailure", "klaviyo") == 1 + 1 + 1.0 + 2.0 + 1


def test_the_drill_reads_each_vendors_own_rule_for_its_floor(tmp_path):
    # A vendor override renders as a second rule of the same name carrying the vendor's
    # label (the default excludes that vendor): each vendor's floor must come from its
    # own rule, not from whichever rule of that name was read last.
    source = tmp_path / "src" / "pack.rules.yaml"
    source.parent.mkdir()
    default = {
        "alert": "SaasProbeUnreachable",
        "expr": 'saas_probe_failing{vendor!~"clay"} > 0',
        "for": "5m",
        "labels": {"priority": "P1"},
    }
    override = {
        "alert": "SaasProbeUnreachable",
        "expr": 'saas_probe_failing{vendor="clay"} > 0',
        "for": "10m",
        "labels": {"priority": "P1", "vendor": "clay"},
    }
    for order in ([default, override], [override, default]):
        source.write_text(yaml.safe_dump({"groups": [{"name": "probes", "rules": order}]}))
        rules = drill_rules(tmp_path / "out", [source], 1 / 60, evaluation_interval="1s")
        unreachable = {v: rules.rule("SaasProbeUnreachable", v).for_seconds for v in VENDORS}
        assert unreachable == {"klaviyo": 5.0, "clay": 10.0}


def test_the_pack_gives_clay_and_klaviyo_the_same_api_p1_timing(tmp_path):
    # Clay's 2-minute api probe runs the default `for: 5m` (three failed probes), which
    # keeps its P1 inside the runbook's 15 minutes.
    rules = drill_rules(
        tmp_path, Checkout(REPO).rule_files(), for_scale=1 / 60, evaluation_interval="1s"
    )
    unreachable = {v: rules.rule("SaasProbeUnreachable", v).for_seconds for v in VENDORS}
    assert unreachable == {"klaviyo": 5.0, "clay": 5.0}
    credits = {v: rules.rule("SaasCreditsExhausted", v).for_seconds for v in VENDORS}
    assert credits == {"klaviyo": 0.0, "clay": 0.0}
    assert rules.rule("SaasProbeUnreachable", "clay").priority == "P1"


def test_the_drill_outside_a_checkout_says_which_flag_to_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert drill_main(["--repo", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"python -m saas_tools.drill: --repo {tmp_path}: not a saas-exporter checkout "
        f"(no *.rules.yaml in {tmp_path / 'rules'}; no {tmp_path / 'alertmanager'}"
        "/alertmanager.yml)\n"
    )


def test_an_unknown_scenario_is_refused_with_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_:
        drill_main(["--scenario", "meteor"])
    assert exit_.value.code == 2
    assert "argument --scenario: invalid choice: 'meteor' (choose from 'auth_failure', " in (
        capsys.readouterr().err
    )
