"""The generated rules obey the team's alert hygiene; each check catches a bad rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from saas_pack import alerting, thresholds

from tests.rule_lint import alerts, check_alert

REPO = Path(__file__).resolve().parent.parent


def rendered_groups() -> list[dict]:
    return [
        group
        for path in sorted((REPO / "rules").glob("*.rules.yaml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]


GOOD = {
    "alert": "SaasExample",
    "expr": 'sum by (vendor) (increase(saas_api_requests_total{code="429"}[5m])) > 5\n',
    "labels": {"priority": "P2", "severity": "critical", "cause": "integration"},
    "annotations": {
        "summary": "Something is wrong.",
        "description": "{{ $labels.vendor }} is wrong.",
        "runbook_url": "https://runbooks.example.com/x",
        "dashboard_url": "https://grafana.example.com/d/x",
    },
}


def test_every_generated_alert_passes_the_lint():
    rules = alerts(rendered_groups())
    # 27 rows (SaasCreditsExhausted came with Clay; SaasVendorWideFailure and
    # SaasProbeClientError with detection; SaasShardTargetsMismatch with sharding;
    # SaasWebhookQuiet and SaasWebhookDelayed with webhook delivery health), one rule
    # each but for overrides.
    assert len(rules) == 27
    assert [problem for rule in rules for problem in check_alert(rule)] == []


def test_the_good_example_is_clean():
    assert check_alert(GOOD) == []


BAD_RULES = [
    ({"alert": "ApiBroken"}, "ApiBroken: name is not CamelCase with the Saas prefix"),
    ({"alert": "Saas_broken"}, "Saas_broken: name is not CamelCase with the Saas prefix"),
    ({"annotations.summary": "{{ $labels.vendor }} broke."},
     "summary must be static and end with a period"),
    ({"annotations.summary": "Something is wrong"}, "summary must be static and end with a period"),
    ({"annotations.description": "Broken."}, "description is not templated"),
    ({"annotations.runbook_url": ""}, "annotation runbook_url missing"),
    ({"labels.priority": "high"}, "priority label missing or not P1-P4"),
    ({"labels.severity": "warning"}, "severity must be critical for P2"),
    ({"expr": "max by (vendor) (rate(saas_ratelimit_remaining[5m])) > 1"},
     "rate()/increase() on non-counter saas_ratelimit_remaining"),
    ({"expr": 'max by (vendor) (saas_probe_failing{reason=">"})'}, "expression does not compare"),
    ({"expr": "max by (vendor, id) (saas_statuspage_incident_info) > 0"},
     "groups by unbounded label id"),
    ({"labels.account": "{{ $labels.account_id }}"}, "label account carries a templated value"),
    ({"expr": "max by (account) (saas_probe_failing) > 0"}, "no vendor label"),
    ({"labels.cause": "dunno"}, "no cause label"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "problem"), BAD_RULES)
def test_each_check_catches_its_bad_rule(change, problem):
    rule = {**GOOD, "labels": dict(GOOD["labels"]), "annotations": dict(GOOD["annotations"])}
    for key, value in change.items():
        if "." in key:
            section, field = key.split(".")
            rule[section][field] = value
        else:
            rule[key] = value
    name = rule["alert"]
    expected = problem if problem.startswith(f"{name}:") else f"{name}: {problem}"
    assert check_alert(rule) == [expected]


def test_every_alert_links_a_runbook_page_that_exists():
    table = thresholds.load(REPO)
    base = table.settings.runbook_base_url
    checked = 0
    for rule in alerts(rendered_groups()):
        row = table.alert(rule["alert"])
        for vendor in table.targets(row):
            vendor_dir = alerting.vendor_dir(vendor)
            url = rule["annotations"]["runbook_url"].replace("{{ $labels.vendor }}", vendor_dir)
            relative = url.removeprefix(f"{base}/")
            assert (REPO / "docs/runbooks" / relative).is_file(), url
            checked += 1
    # One check per rendered rule and vendor its row applies to (Klaviyo, Clay, `all`).
    assert checked == 48


def test_every_checklist_row_has_its_alert_and_priority():
    priorities = {rule["alert"]: rule["labels"]["priority"] for rule in alerts(rendered_groups())}
    assert {name: priorities[name] for name in (
        "SaasApiAuthErrors", "SaasApiServerErrors", "SaasApiRateLimited",
        "SaasApiHighLatency", "SaasWebhookSignatureInvalid", "SaasProbeAuthFailing",
        "SaasProbeUnreachable", "SaasProbeRateLimited", "SaasProbeHighLatency",
        "SaasAccountMismatch", "SaasCloudflareChallenge", "SaasRateLimitHeadroomLow",
        "SaasApiRevisionRetiring", "SaasApiRevisionDeprecated", "SaasVendorIncidentMajor",
        "SaasVendorIncidentMinor", "SaasVendorComponentDegraded",
        "SaasStatusPageUnreachable", "SaasExporterDown", "SaasProbesStale",
        "SaasInAppMetricsAbsent",
    )} == {
        "SaasApiAuthErrors": "P1", "SaasApiServerErrors": "P1", "SaasApiRateLimited": "P2",
        "SaasApiHighLatency": "P2", "SaasWebhookSignatureInvalid": "P2",
        "SaasProbeAuthFailing": "P1", "SaasProbeUnreachable": "P1",
        "SaasProbeRateLimited": "P2", "SaasProbeHighLatency": "P2",
        "SaasAccountMismatch": "P1", "SaasCloudflareChallenge": "P2",
        "SaasRateLimitHeadroomLow": "P3", "SaasApiRevisionRetiring": "P3",
        "SaasApiRevisionDeprecated": "P4", "SaasVendorIncidentMajor": "P2",
        "SaasVendorIncidentMinor": "P3", "SaasVendorComponentDegraded": "P3",
        "SaasStatusPageUnreachable": "P4", "SaasExporterDown": "P4",
        "SaasProbesStale": "P4", "SaasInAppMetricsAbsent": "P4",
    }  # fmt: skip


def test_manifest_carries_the_same_groups_as_the_rule_files():
    manifest = yaml.safe_load(
        (REPO / "deploy/kubernetes/saas-exporter-prometheusrule.yaml").read_text()
    )
    assert manifest["kind"] == "PrometheusRule"
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
    by_name = {group["name"]: group for group in rendered_groups()}
    assert {group["name"]: group for group in manifest["spec"]["groups"]} == by_name
