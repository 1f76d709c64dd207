"""Rootly status pages, and telling Atlassian and Rootly apart from the answer."""

import json

import pytest

from saas_exporter.probes import statuspage
from saas_exporter.probes.result import Incident
from saas_exporter.probes.statuspage import parse_rootly_status
from saas_exporter.simulator.rootly_page import status
from saas_exporter.simulator.scenarios import ScenarioState
from tests.conftest import klaviyo_config, run_probe, target

NOW = 1.8e9
ROOTLY = "/status/api/v1/status.json"
ATLASSIAN = "/status/api/v2/summary.json"


@pytest.fixture(autouse=True)
def forget_detected_formats():
    """The test HTTP server keeps its URL across tests; detection memory must not."""
    statuspage._detected.clear()
    yield
    statuspage._detected.clear()


def page_target(httpserver, page_format="auto"):
    base = httpserver.url_for("").rstrip("/")
    config = klaviyo_config(
        base, statuspage_url=f"{base}/status", vendor={"statuspage_format": page_format}
    )
    return target(config, "statuspage")


def rootly_doc(scenario):
    return status("clay", "http://status.example", ScenarioState(name=scenario, since=NOW), NOW)


def test_rootly_incident_page():
    page = parse_rootly_status(rootly_doc("vendor_incident"))
    assert (page.indicator, page.description, page.page_format) == (
        "major",
        "Major outage",
        "rootly",
    )
    assert page.components == ()  # Rootly pages may list none
    assert page.incidents == (
        Incident(
            id="sim-clay-api",
            name="Clay API returning errors",
            impact="major",
            status="identified",
            url="http://status.example/incidents/sim-clay-api",
            started_at="2027-01-15T08:00:00.000Z",
            updates=(
                (
                    "2027-01-15T08:00:00.000Z",
                    "identified",
                    "We are looking into: Clay API returning errors.",
                ),
            ),
        ),
    )  # the resolved incident in the history is not counted
    assert page.active_maintenances == 0


def test_rootly_maintenance_counts_from_the_indicator_without_a_maintenance_list():
    page = parse_rootly_status(rootly_doc("maintenance"))
    assert (page.indicator, page.active_maintenances, page.incidents) == ("maintenance", 1, ())


def test_rootly_components_are_read_when_present():
    doc = rootly_doc("healthy")
    doc["components"] = [{"id": "c1", "name": "API", "status": "partial_outage"}]
    doc["scheduled_maintenances"] = [{"status": "completed"}]
    page = parse_rootly_status(doc)
    assert [(c.name, c.group, c.status) for c in page.components] == [("API", "", "partial_outage")]
    assert page.active_maintenances == 0


def test_auto_reads_atlassian_first(httpserver):
    httpserver.expect_request(ATLASSIAN).respond_with_json(
        {"status": {"indicator": "none", "description": "All Systems Operational"}}
    )
    result = run_probe(page_target(httpserver))
    assert (result.success, result.statuspage.page_format) == (True, "atlassian")


def test_auto_falls_back_to_rootly_and_remembers_it(httpserver):
    httpserver.expect_request(ATLASSIAN).respond_with_data("not found", status=404)
    httpserver.expect_request(ROOTLY).respond_with_json(rootly_doc("minor_incident"))
    probe_target = page_target(httpserver)
    result = run_probe(probe_target)
    assert (result.success, result.http_status, result.statuspage.page_format) == (
        True,
        200,
        "rootly",
    )
    assert (result.statuspage.indicator, len(result.statuspage.incidents)) == ("minor", 1)
    run_probe(probe_target)
    paths = [request.path for request, _ in httpserver.log]
    assert paths == [ATLASSIAN, ROOTLY, ROOTLY]  # detected once, then read directly


def test_a_page_that_speaks_neither_fails_naming_both(httpserver):
    httpserver.expect_request(ATLASSIAN).respond_with_data("<html>home</html>", status=200)
    httpserver.expect_request(ROOTLY).respond_with_data(
        json.dumps({"message": "Not found"}), status=404
    )
    result = run_probe(page_target(httpserver))
    assert (result.success, result.failure_reason, result.http_status, result.error) == (
        False,
        "invalid_response",
        404,
        "the page speaks neither Atlassian Statuspage (GET /api/v2/summary.json: 200: body "
        "is not JSON) nor Rootly (GET /api/v1/status.json: 404: Not found)",
    )


def test_a_down_page_is_reported_as_down_not_as_an_unknown_format(httpserver):
    httpserver.expect_request(ATLASSIAN).respond_with_data(
        "<html>503</html>", status=503, content_type="text/html"
    )
    result = run_probe(page_target(httpserver))
    assert (result.failure_reason, result.error) == (
        "server_error",
        "503: HTML page instead of JSON",
    )
    assert [request.path for request, _ in httpserver.log] == [ATLASSIAN]


def test_pinned_rootly_reads_only_rootly(httpserver):
    httpserver.expect_request(ROOTLY).respond_with_json({"status": {"indicator": "purple"}})
    result = run_probe(page_target(httpserver, "rootly"))
    assert (result.failure_reason, result.error) == (
        "invalid_response",
        "200: status.indicator: expected one of none, minor, major, critical, maintenance, "
        "got 'purple'",
    )
    assert [request.path for request, _ in httpserver.log] == [ROOTLY]
