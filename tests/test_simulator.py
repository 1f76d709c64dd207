"""The simulator answers each scenario the way the real vendor does."""

import httpx
import pytest

from saas_exporter.simulator import SCENARIOS, SimulatorServer
from tests.conftest import TEST_KEY, klaviyo_config, run_probe, target


def probe(simulator, probe_name, key=TEST_KEY):
    base = simulator.base_url
    config = klaviyo_config(base, f"{base}/status/klaviyo", key=key)
    return run_probe(target(config, probe_name))


def test_switch_is_documented_and_listed(simulator):
    body = httpx.get(f"{simulator.base_url}/-/scenario").json()
    assert body["vendors"]["klaviyo"]["scenario"] == "healthy"
    assert set(body["scenarios"]) == set(SCENARIOS)
    assert set(SCENARIOS) >= {
        "healthy",
        "auth_failure",
        "forbidden",
        "cloudflare_challenge",
        "rate_limited",
        "outage_5xx",
        "slow",
        "vendor_incident",
        "statuspage_down",
    }


def test_switch_over_http(simulator):
    response = httpx.post(
        f"{simulator.base_url}/-/scenario",
        json={"scenario": "rate_limited", "retry_after_seconds": 7},
    )
    assert response.status_code == 200
    assert response.json()["vendors"]["klaviyo"]["scenario"] == "rate_limited"
    result = probe(simulator, "profiles")
    assert (result.failure_reason, result.retry_after_seconds) == ("throttled", 7.0)
    assert result.error == "429: Request was throttled. Expected available in 7 seconds."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"scenario": "meteor"},
            "scenario: expected one of " + ", ".join(SCENARIOS) + ", got 'meteor'",
        ),
        (
            {"scenario": "healthy", "vendor": "mailchimp"},
            "vendor: expected one of klaviyo, clay, acme, got 'mailchimp'",
        ),
        (
            {"scenario": "credits_exhausted", "vendor": "klaviyo"},
            "scenario: credits_exhausted applies to clay only, not klaviyo",
        ),
        ({"mode": "x"}, 'expected a JSON object like {"scenario": "auth_failure"}'),
    ],
)
def test_bad_switch_requests(simulator, body, error):
    response = httpx.post(f"{simulator.base_url}/-/scenario", json=body)
    assert (response.status_code, response.json()) == (400, {"error": error})


@pytest.mark.parametrize(
    ("scenario", "accounts", "profiles", "page"),
    [
        ("healthy", None, None, ("none", 0)),
        ("auth_failure", "auth", "auth", ("none", 0)),
        ("forbidden", "forbidden", "forbidden", ("none", 0)),
        ("cloudflare_challenge", "cloudflare_challenge", "cloudflare_challenge", ("none", 0)),
        ("rate_limited", "throttled", "throttled", ("none", 0)),
        ("low_headroom", None, None, ("none", 0)),
        ("outage_5xx", "server_error", "server_error", ("none", 0)),
        ("vendor_incident", "server_error", "server_error", ("major", 1)),
        ("minor_incident", None, None, ("minor", 1)),
        ("maintenance", None, None, ("maintenance", 0)),
        ("statuspage_down", None, None, "server_error"),
    ],
)
def test_each_scenario(simulator, scenario, accounts, profiles, page):
    simulator.set_scenario("klaviyo", scenario)
    assert probe(simulator, "accounts").failure_reason == accounts
    assert probe(simulator, "profiles").failure_reason == profiles
    result = probe(simulator, "statuspage")
    if isinstance(page, str):
        assert result.failure_reason == page
    else:
        assert (result.statuspage.indicator, len(result.statuspage.incidents)) == page


def test_a_fault_scoped_to_accounts_and_a_page_of_its_own(simulator):
    # The revoked key of account SIM001 while the page shows an unrelated minor incident.
    response = httpx.post(
        f"{simulator.base_url}/-/scenario",
        json={
            "scenario": "auth_failure",
            "vendor": "klaviyo",
            "page": "minor_incident",
            "accounts": ["SIM001"],
        },
    )
    assert response.status_code == 200
    state = response.json()["vendors"]["klaviyo"]
    assert (state["scenario"], state["page"], state["accounts"]) == (
        "auth_failure",
        "minor_incident",
        ["SIM001"],
    )
    assert probe(simulator, "profiles", key="pk_sim_SIM001").failure_reason == "auth"
    assert probe(simulator, "profiles", key="pk_sim_OTHER1").failure_reason is None
    page = probe(simulator, "statuspage").statuspage
    assert page.indicator == "minor"
    assert {c.name: c.status for c in page.components}["Signup Forms"] == "degraded_performance"
    assert {c.name: c.status for c in page.components}["Klaviyo API"] == "operational"


def test_bad_scope(simulator):
    for body, error in (
        ({"page": "meteor"}, "page: expected one of " + ", ".join(SCENARIOS) + ", got 'meteor'"),
        ({"accounts": "SIM001"}, "accounts: expected a list of account ids, got 'SIM001'"),
    ):
        response = httpx.post(
            f"{simulator.base_url}/-/scenario",
            json={"scenario": "outage_5xx", "vendor": "klaviyo", **body},
        )
        assert (response.status_code, response.json()) == (400, {"error": error})


def test_healthy_answers_like_the_recording(simulator):
    result = probe(simulator, "accounts", key="pk_sim_ACME01")
    assert result.account.account_id == "ACME01"
    assert dict(result.ratelimit.limits) == {"1": 1.0, "60": 15.0}
    assert result.ratelimit.remaining == 0.0
    profiles = probe(simulator, "profiles", key="pk_sim_ACME01")
    assert dict(profiles.ratelimit.limits) == {"1": 75.0, "60": 750.0}


def test_low_headroom(simulator):
    simulator.set_scenario("klaviyo", "low_headroom")
    assert probe(simulator, "profiles").ratelimit.remaining == 2.0


def test_slow_scenario_delays_each_api_answer():
    slept = []
    server = SimulatorServer(("127.0.0.1", 0), sleep=slept.append)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.set_scenario("klaviyo", "slow", delay_seconds=6.5)
        assert probe(server, "profiles").success is True
        assert probe(server, "statuspage").success is True
        assert slept == [6.5]
    finally:
        server.shutdown()
        server.server_close()


def test_requests_are_counted_and_reset(simulator):
    probe(simulator, "accounts")
    probe(simulator, "accounts")
    probe(simulator, "statuspage")
    counts = httpx.get(f"{simulator.base_url}/-/requests").json()
    assert counts == {
        "/api/accounts/": 2,
        "/status/klaviyo/api/v2/summary.json": 1,
        "/status/klaviyo/api/v2/scheduled-maintenances/upcoming.json": 1,
        "/status/klaviyo/api/v2/scheduled-maintenances/active.json": 1,
    }
    httpx.post(f"{simulator.base_url}/-/requests/reset")
    assert httpx.get(f"{simulator.base_url}/-/requests").json() == {}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "not_authenticated"),
        ({"authorization": "Bearer pk_abc"}, 401, "not_authenticated"),
        (
            {"authorization": "Klaviyo-API-Key AbC123", "revision": "2026-07-15"},
            401,
            "authentication_failed",
        ),
        ({"authorization": "Klaviyo-API-Key pk_abc"}, 400, "invalid"),
    ],
)
def test_simulator_checks_requests_like_the_vendor(simulator, headers, status, code):
    response = httpx.get(f"{simulator.base_url}/api/accounts/", headers=headers)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
