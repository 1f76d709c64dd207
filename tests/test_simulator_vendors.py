"""The simulator's Clay API, Rootly page and generic "Acme" vendor, and the shared switch."""

import httpx
import pytest

from saas_exporter.simulator import SCENARIOS


def clay_get(simulator, key="clay_sim_WS42", path="/workspace"):
    headers = {"clay-api-key": key} if key is not None else {}
    return httpx.get(f"{simulator.base_url}/clay/public/v0{path}", headers=headers)


def test_clay_healthy_answer_and_x_ratelimit_headers(simulator):
    first, second = clay_get(simulator), clay_get(simulator, path="/sources")
    assert first.status_code == 200
    assert first.json()["workspace"] == {"id": "WS42", "name": "Simulated workspace"}
    assert first.headers["x-ratelimit-limit"] == "600"
    assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) in (
        ("599", "598"),
        ("599", "599"),  # the minute turned between the two requests
    )
    assert 0 <= int(first.headers["x-ratelimit-reset"]) <= 60


def test_clay_needs_its_key_header(simulator):
    response = clay_get(simulator, key=None)
    assert (response.status_code, response.json()) == (
        401,
        {"message": "Missing API key: send it as clay-api-key: <key>"},
    )


@pytest.mark.parametrize(
    ("scenario", "status", "body"),
    [
        (
            "credits_exhausted",
            402,
            {
                "message": "Your workspace has run out of credits. Upgrade your plan or buy "
                "more credits to continue."
            },
        ),
        ("auth_failure", 401, {"message": "Invalid API key"}),
        ("forbidden", 403, {"message": "This API key does not have access to this resource"}),
        ("rate_limited", 429, {"message": "Too many requests"}),
        ("outage_5xx", 500, {"message": "Internal server error"}),
    ],
)
def test_clay_scenarios(simulator, scenario, status, body):
    simulator.set_scenario("clay", scenario, retry_after_seconds=9)
    response = clay_get(simulator)
    assert (response.status_code, response.json()) == (status, body)
    if scenario == "rate_limited":
        assert response.headers["retry-after"] == "9"


def test_a_scenario_for_one_vendor_leaves_the_others(simulator):
    simulator.set_scenario("clay", "outage_5xx")
    assert clay_get(simulator).status_code == 500
    acme = httpx.get(f"{simulator.base_url}/acme/v1/me", headers={"authorization": "Bearer k"})
    assert acme.status_code == 200


def test_switch_without_vendor_sets_every_vendor_it_applies_to(simulator):
    response = httpx.post(
        f"{simulator.base_url}/-/scenario", json={"scenario": "credits_exhausted"}
    )
    assert response.status_code == 200
    vendors = response.json()["vendors"]
    assert {v: s["scenario"] for v, s in vendors.items()} == {
        "klaviyo": "healthy",
        "clay": "credits_exhausted",
        "acme": "healthy",
    }
    assert "credits_exhausted" in SCENARIOS


def test_acme_generic_vendor(simulator):
    response = httpx.get(
        f"{simulator.base_url}/acme/v1/me", headers={"authorization": "Bearer acme_sim_SHOP7"}
    )
    assert response.status_code == 200
    assert response.json()["account"] == {"id": "SHOP7", "plan": "growth"}
    assert response.headers["x-acme-quota-limit"] == "120"
    wrong = httpx.get(f"{simulator.base_url}/acme/v1/me", headers={"authorization": "Token x"})
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"message": "Missing API key: send it as authorization: Bearer <key>"},
    )


def test_rootly_page_and_paged_incidents(simulator):
    simulator.set_scenario("clay", "vendor_incident")
    base = f"{simulator.base_url}/status/clay/api/v1"
    status = httpx.get(f"{base}/status.json").json()
    assert status["status"] == {"indicator": "major", "description": "Major outage"}
    assert [(i["id"], i["resolved_at"] is None) for i in status["incidents"]] == [
        ("sim-clay-api", True),
        ("sim-clay-old", False),
    ]
    page2 = httpx.get(f"{base}/incidents.json", params={"page": "2", "per_page": "1"}).json()
    assert [i["id"] for i in page2["incidents"]] == ["sim-clay-old"]
    assert page2["meta"] == {"page": 2, "per_page": 1, "total_count": 2}
    # Clay's page is Rootly only: the Atlassian path is not there.
    assert httpx.get(f"{simulator.base_url}/status/clay/api/v2/summary.json").status_code == 404


def test_rootly_page_down(simulator):
    simulator.set_scenario("clay", "statuspage_down")
    response = httpx.get(f"{simulator.base_url}/status/clay/api/v1/status.json")
    assert response.status_code == 503


def test_acme_atlassian_page_has_its_own_components(simulator):
    simulator.set_scenario("acme", "vendor_incident")
    doc = httpx.get(f"{simulator.base_url}/status/acme/api/v2/summary.json").json()
    statuses = {c["name"]: c["status"] for c in doc["components"] if not c["group"]}
    assert statuses == {
        "Acme API": "major_outage",
        "Webhooks": "degraded_performance",
        "Dashboard": "operational",
        "Billing": "operational",
    }
