"""Done-when for issue 6: one exporter probing Klaviyo, Clay and a generic vendor against
the simulator, with the exact metrics of every scenario.

Each case sets the scenario first, then starts a fresh exporter: every probe runs once at
start-up, in that scenario, so counters are exact (each failure counted once).
"""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from saas_exporter.demo import demo_config
from saas_exporter.probes import FAILURE_REASONS
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import SCENARIOS

LONG = {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"}
API_PROBES = [("klaviyo", "accounts"), ("klaviyo", "profiles"), ("clay", "api"), ("acme", "api")]
VENDORS = ("klaviyo", "clay", "acme")
ACCOUNT_IDS = {"klaviyo": "DEMO01", "clay": "DEMO02", "acme": "DEMO03"}

# scenario -> (reason of every API probe or per vendor, HTTP status, page indicator or reason)
FAIL_ALL = {
    "auth_failure": ("auth", 401),
    "forbidden": ("forbidden", 403),
    "cloudflare_challenge": ("cloudflare_challenge", 403),
    "rate_limited": ("throttled", 429),
    "outage_5xx": ("server_error", 500),
    "vendor_incident": ("server_error", 503),
}
PAGE = {
    "vendor_incident": ("major", {"major": 1}, 0),
    "minor_incident": ("minor", {"minor": 1}, 0),
    "maintenance": ("maintenance", {}, 1),
}


def api_outcome(scenario, vendor):
    """(reason or None, HTTP status) of the vendor's API probes in this scenario."""
    if scenario in FAIL_ALL:
        return FAIL_ALL[scenario]
    if scenario == "credits_exhausted" and vendor == "clay":
        return ("credits_exhausted", 402)
    return (None, 200)


def scrape(runtime):
    text = httpx.get(f"http://{runtime.address}/metrics", timeout=5).text
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())))


def test_every_scenario_has_expectations():
    others = {"healthy", "low_headroom", "slow", "statuspage_down", "credits_exhausted"}
    assert set(SCENARIOS) == set(FAIL_ALL) | set(PAGE) | others


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_three_vendors_in_every_scenario(simulator, scenario):
    simulator.set_scenario_everywhere(scenario, delay_seconds=0.05)
    runtime = ExporterRuntime(demo_config(simulator.base_url, LONG), ("127.0.0.1", 0))
    runtime.start()
    try:
        assert runtime.store.wait_all_probed(15)
        metrics = scrape(runtime)
        health = httpx.get(f"http://{runtime.address}/health", timeout=5).json()
    finally:
        runtime.stop()

    for vendor, probe in API_PROBES:
        labels = {"vendor": vendor, "account": "main", "probe": probe}
        reason, status = api_outcome(scenario, vendor)
        assert value(metrics, "saas_probe_success", **labels) == (0.0 if reason else 1.0), labels
        assert value(metrics, "saas_probe_http_status_code", **labels) == status, labels
        assert value(metrics, "saas_probe_runs_total", **labels) == 1.0
        for each in FAILURE_REASONS:
            hit = 1.0 if each == reason else 0.0
            assert value(metrics, "saas_probe_failing", **labels, reason=each) == hit, (
                labels,
                each,
            )
            assert value(metrics, "saas_probe_failures_total", **labels, reason=each) == hit
        if scenario == "rate_limited":
            assert value(metrics, "saas_retry_after_seconds", **labels) == 30.0
        if probe in ("profiles", "api") and reason is None:
            remaining = value(metrics, "saas_ratelimit_remaining", **labels)
            assert (remaining == 2.0) if scenario == "low_headroom" else (remaining > 2.0), labels
    for vendor in ("clay", "acme"):
        reason, _ = api_outcome(scenario, vendor)
        info = {"vendor": vendor, "account": "main", "account_id": ACCOUNT_IDS[vendor]}
        expected_info = None if reason else 1.0
        assert value(metrics, "saas_account_info", **info, test_account="unknown") == expected_info

    for vendor in VENDORS:
        page_labels = {"vendor": vendor, "account": "", "probe": "statuspage"}
        if scenario == "statuspage_down":
            assert value(metrics, "saas_probe_success", **page_labels) == 0.0
            assert value(metrics, "saas_probe_failing", **page_labels, reason="server_error") == 1
            assert (
                value(metrics, "saas_statuspage_indicator", vendor=vendor, indicator="none") is None
            )
            continue
        indicator, incidents, maintenances = PAGE.get(scenario, ("none", {}, 0))
        assert value(metrics, "saas_probe_success", **page_labels) == 1.0, vendor
        assert value(metrics, "saas_statuspage_indicator", vendor=vendor, indicator=indicator) == 1
        for impact in ("none", "minor", "major", "critical"):
            count = value(metrics, "saas_statuspage_incidents", vendor=vendor, impact=impact)
            assert count == incidents.get(impact, 0), (vendor, impact)
        active = value(metrics, "saas_statuspage_active_maintenances", vendor=vendor)
        assert active == maintenances, vendor

    for vendor in VENDORS:
        reason, _ = api_outcome(scenario, vendor)
        expected = (
            "healthy" if reason is None else ("degraded" if reason == "throttled" else "down")
        )
        assert health["services"][vendor]["status"] == expected, vendor
