"""Announced maintenances: read from the page's feed, bounded, exported with exact labels."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from prometheus_client import CollectorRegistry

from saas_exporter.collector import SaasCollector
from saas_exporter.config import load_config_data
from saas_exporter.probes import statuspage, targets_for
from saas_exporter.probes.maintenances import build_feed, parse_maintenance_list
from saas_exporter.probes.result import Maintenance, MaintenanceFeed
from saas_exporter.state import ResultStore
from tests.conftest import (
    KEY_ENV,
    TEST_KEY,
    api_vendor_config,
    config_problems,
    klaviyo_config,
    run_probe,
    target,
)
from tests.test_collector import samples, value

UPCOMING = "/status/api/v2/scheduled-maintenances/upcoming.json"
ACTIVE = "/status/api/v2/scheduled-maintenances/active.json"


@pytest.fixture(autouse=True)
def forget_detected_formats():
    statuspage._detected.clear()
    yield
    statuspage._detected.clear()


def announce(simulator, vendor, *maintenances):
    response = httpx.post(
        f"{simulator.base_url}/-/maintenances",
        json={"vendor": vendor, "maintenances": list(maintenances)},
    )
    assert response.status_code == 200, response.text
    return response.json()


def sim_config(simulator, **vendor):
    base = simulator.base_url
    return klaviyo_config(base, f"{base}/status/klaviyo", vendor=vendor or None)


def probe_page(config):
    return run_probe(target(config, "statuspage"))


WINDOWS = (
    {
        "id": "m-api",
        "name": "Klaviyo API database upgrade",
        "components": ["Klaviyo API", "Flow Triggering"],
        "starts_in_seconds": -60,
        "duration_seconds": 3600,
    },
    {
        "id": "m-forms",
        "name": "Signup Forms migration",
        "components": ["Signup Forms"],
        "starts_in_seconds": 86400,
        "duration_seconds": 7200,
    },
    {
        "id": "m-cancelled",
        "name": "Cancelled analytics work",
        "components": ["Analytics"],
        "starts_in_seconds": 3600,
        "cancelled": True,
    },
)


def test_upcoming_and_active_are_read_and_cancelled_is_not(simulator):
    view = announce(simulator, "klaviyo", *WINDOWS)
    starts = {m["id"]: m["starts_at"] for m in view["klaviyo"]}
    assert [m["status"] for m in view["klaviyo"]] == ["in_progress", "scheduled", "cancelled"]

    result = probe_page(sim_config(simulator))

    assert result.success is True
    page = result.statuspage
    assert page.indicator == "maintenance"
    statuses = {c.name: c.status for c in page.components}
    assert statuses["Klaviyo API"] == "under_maintenance"
    assert statuses["Signup Forms"] == "operational"
    base = f"{simulator.base_url}/status/klaviyo"
    # The page gives ISO times to the millisecond (cut, not rounded): compare at that
    # precision.
    at = starts
    assert page.maintenances == MaintenanceFeed(
        (
            Maintenance(
                "m-api",
                "Klaviyo API database upgrade",
                "in_progress",
                pytest.approx(at["m-api"], abs=2e-3),
                pytest.approx(at["m-api"] + 3600, abs=2e-3),
                ("Flow Triggering", "Klaviyo API"),
                f"{base}/incidents/m-api",
            ),
            Maintenance(
                "m-forms",
                "Signup Forms migration",
                "scheduled",
                pytest.approx(at["m-forms"], abs=2e-3),
                pytest.approx(at["m-forms"] + 7200, abs=2e-3),
                ("Signup Forms",),
                f"{base}/incidents/m-forms",
            ),
        )
    )


def test_the_feed_is_fetched_from_the_catalog_paths(simulator):
    announce(simulator, "klaviyo", *WINDOWS)
    probe_page(sim_config(simulator))
    assert simulator.request_counts() == {
        "/status/klaviyo/api/v2/summary.json": 1,
        "/status/klaviyo/api/v2/scheduled-maintenances/upcoming.json": 1,
        "/status/klaviyo/api/v2/scheduled-maintenances/active.json": 1,
    }


def test_a_maintenance_that_ended_is_no_longer_announced(simulator):
    announce(simulator, "klaviyo", {"id": "old", "starts_in_seconds": -7200})
    page = probe_page(sim_config(simulator)).statuspage
    assert (page.indicator, page.maintenances) == ("none", MaintenanceFeed(()))


def test_feed_failure_keeps_the_probe_successful(httpserver):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/status/api/v2/summary.json").respond_with_json(
        {"status": {"indicator": "none", "description": "ok"}, "components": []}
    )
    httpserver.expect_request(ACTIVE).respond_with_json({"scheduled_maintenances": []})
    httpserver.expect_request(UPCOMING).respond_with_data("nope", status=404)
    config = klaviyo_config(base, f"{base}/status", vendor={"statuspage_format": "atlassian"})

    result = probe_page(config)

    assert result.success is True
    assert result.statuspage.maintenances == MaintenanceFeed(
        error="GET /api/v2/scheduled-maintenances/upcoming.json: HTTP 404"
    )


def item(ident, status="scheduled", start="2027-01-10T02:00:00Z", **extra):
    return {
        "id": ident,
        "name": f"Work {ident}",
        "status": status,
        "scheduled_for": start,
        "scheduled_until": "2027-01-10T04:00:00Z",
        "shortlink": f"https://stspg.io/{ident}",
        "components": [{"name": "API"}],
        **extra,
    }


def test_parsing_is_strict_on_the_document_and_lenient_on_items():
    with pytest.raises(ValueError, match=r"^upcoming: scheduled_maintenances: expected a list$"):
        parse_maintenance_list({"page": {}}, "upcoming")
    found = parse_maintenance_list(
        {
            "scheduled_maintenances": [
                item("a"),
                item("", status="scheduled"),  # no id
                item("b", status="completed"),  # not announced any more
                "junk",
                item("c", start="tomorrow", name="x" * 300),  # no usable start
            ]
        },
        "upcoming",
    )
    assert [(m.id, m.starts_at) for m in found] == [("a", 1799546400.0), ("c", None)]
    assert len(found[1].name) == 200 and found[1].name.endswith("…")


def test_the_cap_keeps_in_progress_first_then_the_soonest():
    found = [
        item("late", start="2027-03-01T00:00:00Z"),
        item("soon", start="2027-01-01T00:00:00Z"),
        item("now", status="in_progress", start="2027-02-01T00:00:00Z"),
        item("now", status="scheduled"),  # also listed as upcoming: in progress wins
    ]
    feed = build_feed(parse_maintenance_list({"scheduled_maintenances": found}, "x"), max_kept=2)
    assert [(m.id, m.status) for m in feed.maintenances] == [
        ("now", "in_progress"),
        ("soon", "scheduled"),
    ]
    assert feed.dropped == 1


def exporter_samples(config, result):
    store = ResultStore(targets_for(config))
    store.record(("klaviyo", "", "statuspage"), result)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SaasCollector(config, store))
    return store, registry


def test_exported_series_are_bounded_and_exact(simulator):
    announce(simulator, "klaviyo", *WINDOWS)
    config = config_from(simulator, max_per_vendor=1)
    result = probe_page(config)
    store, registry = exporter_samples(config, result)
    store.record(("klaviyo", "", "statuspage"), result)
    found = samples(registry)

    base = f"{simulator.base_url}/status/klaviyo"
    maintenance = [k for k in found if k[0].startswith("saas_statuspage_maintenance_")]
    assert sorted(maintenance) == sorted(
        [
            (
                "saas_statuspage_maintenance_info",
                (
                    ("id", "m-api"),
                    ("name", "Klaviyo API database upgrade"),
                    ("status", "in_progress"),
                    ("url", f"{base}/incidents/m-api"),
                    ("vendor", "klaviyo"),
                ),
            ),
            (
                "saas_statuspage_maintenance_component_info",
                (("component", "Flow Triggering"), ("id", "m-api"), ("vendor", "klaviyo")),
            ),
            (
                "saas_statuspage_maintenance_component_info",
                (("component", "Klaviyo API"), ("id", "m-api"), ("vendor", "klaviyo")),
            ),
            (
                "saas_statuspage_maintenance_start_timestamp_seconds",
                (("id", "m-api"), ("vendor", "klaviyo")),
            ),
            (
                "saas_statuspage_maintenance_end_timestamp_seconds",
                (("id", "m-api"), ("vendor", "klaviyo")),
            ),
            ("saas_statuspage_maintenance_feed_success", (("vendor", "klaviyo"),)),
        ]
    )
    start = value(
        found, "saas_statuspage_maintenance_start_timestamp_seconds", vendor="klaviyo", id="m-api"
    )
    end = value(
        found, "saas_statuspage_maintenance_end_timestamp_seconds", vendor="klaviyo", id="m-api"
    )
    assert end - start == 3600
    assert value(found, "saas_statuspage_maintenance_feed_success", vendor="klaviyo") == 1
    # Two probe runs, one maintenance past the cap each time.
    assert value(found, "saas_statuspage_maintenances_dropped_total", vendor="klaviyo") == 2


def config_from(simulator, **maintenances):
    base = simulator.base_url
    data = {
        "maintenances": maintenances,
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": base,
                "statuspage_url": f"{base}/status/klaviyo",
                "timeout": "2s",
                "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
            }
        ],
    }
    return load_config_data(data, {KEY_ENV: TEST_KEY})


def test_a_failed_feed_keeps_the_maintenances_read_before(simulator):
    announce(simulator, "klaviyo", WINDOWS[0])
    config = sim_config(simulator)
    good = probe_page(config)
    store, registry = exporter_samples(config, good)
    failed_feed = MaintenanceFeed(error="GET /api/v2/scheduled-maintenances/active.json: HTTP 503")
    store.record(
        ("klaviyo", "", "statuspage"),
        replace(good, statuspage=replace(good.statuspage, maintenances=failed_feed)),
    )
    found = samples(registry)
    assert value(found, "saas_statuspage_maintenance_feed_success", vendor="klaviyo") == 0
    feed = store.get(("klaviyo", "", "statuspage")).statuspage.maintenances
    assert [m.id for m in feed.maintenances] == ["m-api"]
    assert feed.error == failed_feed.error


def test_rootly_has_no_feed_and_shows_a_running_maintenance_as_its_indicator(simulator):
    announce(simulator, "clay", {"id": "c1", "starts_in_seconds": -1, "components": ["API"]})
    base = simulator.base_url
    config = api_vendor_config(
        "clay",
        f"{base}/clay/public/v0",
        {"path": "/me"},
        vendor={"statuspage_url": f"{base}/status/clay"},
    )
    result = run_probe(target(config, "statuspage"))
    assert (result.success, result.statuspage.page_format) == (True, "rootly")
    assert (result.statuspage.indicator, result.statuspage.maintenances) == ("maintenance", None)
    assert "/status/clay/api/v1/status.json" in simulator.request_counts()
    assert not any("scheduled-maintenances" in p for p in simulator.request_counts())


def test_a_rootly_status_json_with_its_own_list_is_read(httpserver):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/status/api/v1/status.json").respond_with_json(
        {
            "status": {"indicator": "none", "description": "ok"},
            "incidents": [],
            "scheduled_maintenances": [item("r1")],
        }
    )
    config = klaviyo_config(base, f"{base}/status", vendor={"statuspage_format": "rootly"})
    feed = probe_page(config).statuspage.maintenances
    assert [(m.id, m.components, m.url) for m in feed.maintenances] == [
        ("r1", ("API",), "https://stspg.io/r1")
    ]


def test_simulator_refuses_a_bad_announcement(simulator):
    response = httpx.post(
        f"{simulator.base_url}/-/maintenances",
        json={"vendor": "klaviyo", "maintenances": [{"id": "x", "components": "API"}]},
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "maintenances[0].components: expected a list of names"},
    )


def test_maintenance_config_is_checked(simulator):
    base = simulator.base_url
    vendor = {
        "name": "klaviyo",
        "kind": "klaviyo",
        "api_url": base,
        "accounts": [{"name": "main", "api_key_env": "K"}],
    }
    key = {"K": "pk_test_0123456789abcdef0123456789abcdef"}
    problems = config_problems(
        {"maintenances": {"max_per_vendor": 0, "silences": {"margin": "5m"}}, "vendors": [vendor]},
        key,
    )
    assert problems == [
        "maintenances.max_per_vendor: expected an integer from 1 to 500 (maintenances kept "
        "per vendor), got 0",
        "maintenances.silences: 'alertmanager_url' is a required property",
    ]
