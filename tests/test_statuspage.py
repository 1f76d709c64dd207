import json

import pytest

from saas_exporter.probes.result import Component
from saas_exporter.probes.statuspage import parse_atlassian_summary
from saas_exporter.simulator.atlassian_page import summary
from saas_exporter.simulator.scenarios import ScenarioState
from tests.conftest import klaviyo_config, run_probe, target


def page_config(httpserver, page_format="atlassian"):
    """Format errors are asserted with the format pinned; auto detection has its own tests."""
    base = httpserver.url_for("").rstrip("/")
    return klaviyo_config(
        base, statuspage_url=f"{base}/status", vendor={"statuspage_format": page_format}
    )


def summary_for(scenario):
    return summary(
        "klaviyo", "http://status.example", ScenarioState(name=scenario, since=1.8e9), 1.8e9
    )


def test_operational_page(httpserver):
    httpserver.expect_request("/status/api/v2/summary.json").respond_with_json(
        summary_for("healthy")
    )
    result = run_probe(target(page_config(httpserver), "statuspage"))
    assert result.success is True
    page = result.statuspage
    assert (page.indicator, page.description) == ("none", "All Systems Operational")
    assert page.incidents == ()
    assert page.active_maintenances == 0
    assert len(page.components) == 10  # group containers are not components
    assert Component("Campaign Email Sending", "Email Sending", "operational") in page.components
    assert Component("Klaviyo API", "", "operational") in page.components


def test_vendor_incident_page():
    page = parse_atlassian_summary(summary_for("vendor_incident"))
    assert page.indicator == "major"
    assert Component("Klaviyo API", "", "major_outage") in page.components
    assert [(i.id, i.name, i.impact, i.status) for i in page.incidents] == [
        ("sim-incident-api", "Elevated error rates on the Klaviyo API", "major", "identified")
    ]
    assert page.incidents[0].url == "http://status.example/incidents/sim-incident-api"


def test_maintenance_page():
    page = parse_atlassian_summary(summary_for("maintenance"))
    assert page.indicator == "maintenance"
    assert page.active_maintenances == 1
    assert Component("Analytics", "", "under_maintenance") in page.components


def test_resolved_incidents_are_not_counted():
    body = summary_for("vendor_incident")
    body["incidents"][0]["status"] = "resolved"
    assert parse_atlassian_summary(body).incidents == ()


def test_odd_component_is_skipped_not_fatal():
    body = summary_for("healthy")
    body["components"][0]["status"] = "on_fire"
    page = parse_atlassian_summary(body)
    assert len(page.components) == 9


def test_duplicate_component_names_stay_distinct():
    body = summary_for("healthy")
    body["components"].append(dict(body["components"][0], id="dup"))
    names = [c.name for c in parse_atlassian_summary(body).components]
    assert "Klaviyo API (dup)" in names


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"status": {"indicator": "purple"}},
            "200: status.indicator: expected one of none, minor, major, critical, maintenance, "
            "got 'purple'",
        ),
        ({"page": {}}, "200: status: expected an object with indicator and description"),
        (
            {"status": {"indicator": "none"}, "components": {}},
            "200: components: expected a list, got dict",
        ),
        ([1, 2], "200: expected a Statuspage summary object"),
    ],
)
def test_malformed_page_is_invalid_response(httpserver, body, error):
    httpserver.expect_request("/status/api/v2/summary.json").respond_with_data(json.dumps(body))
    result = run_probe(target(page_config(httpserver), "statuspage"))
    assert (result.success, result.failure_reason, result.error) == (
        False,
        "invalid_response",
        error,
    )


def test_status_page_down(httpserver):
    httpserver.expect_request("/status/api/v2/summary.json").respond_with_data(
        "<html>503</html>", status=503, content_type="text/html"
    )
    result = run_probe(target(page_config(httpserver), "statuspage"))
    assert (result.failure_reason, result.http_status, result.error) == (
        "server_error",
        503,
        "503: HTML page instead of JSON",
    )


def test_status_page_not_json(httpserver):
    httpserver.expect_request("/status/api/v2/summary.json").respond_with_data("hello")
    result = run_probe(target(page_config(httpserver), "statuspage"))
    assert (result.failure_reason, result.error) == ("invalid_response", "200: body is not JSON")
