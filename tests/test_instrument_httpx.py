"""Real httpx clients, sync and async, through the instrumented transports."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from pytest_httpserver import HTTPServer
from saas_inapp.instrument import (
    AsyncInstrumentedTransport,
    InstrumentedTransport,
    RequestRecorder,
    instrumented_async_client,
    instrumented_client,
)

from tests.inapp_support import DurationClock, closed_port, requests_total, series, silent_server

PROFILE = "/api/profiles/{id}"
# One request per status class, some twice, to show counts are per code.
STATUSES = [200, 200, 201, 401, 403, 404, 429, 429, 429, 500, 503, 503]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def serve_statuses(httpserver: HTTPServer) -> None:
    for index, status in enumerate(STATUSES):
        httpserver.expect_request(f"/api/profiles/01PROFILE{index:04d}XYZ").respond_with_json(
            {"data": []}, status=status
        )


def expected_counts() -> dict[str, float]:
    counts: dict[str, float] = {}
    for status in STATUSES:
        counts[str(status)] = counts.get(str(status), 0.0) + 1.0
    return counts


def counts_by_code(registry: CollectorRegistry, endpoint: str) -> dict[str, float]:
    return {
        dict(labels)["code"]: value
        for labels, value in series(registry, "saas_api_requests_total").items()
        if dict(labels)["endpoint"] == endpoint
    }


def test_sync_client_counts_every_status_under_its_route_template(httpserver, registry):
    serve_statuses(httpserver)
    with instrumented_client(
        "klaviyo", registry=registry, base_url=httpserver.url_for("")
    ) as client:
        for index in range(len(STATUSES)):
            client.get(f"/api/profiles/01PROFILE{index:04d}XYZ", params={"page[size]": "1"})

    assert counts_by_code(registry, PROFILE) == expected_counts()
    assert set(series(registry, "saas_api_requests_total")) == {
        (("code", code), ("endpoint", PROFILE), ("vendor", "klaviyo")) for code in expected_counts()
    }


def test_async_client_counts_every_status_under_its_route_template(httpserver, registry):
    serve_statuses(httpserver)

    async def run() -> None:
        async with instrumented_async_client(
            "klaviyo", registry=registry, base_url=httpserver.url_for("")
        ) as client:
            for index in range(len(STATUSES)):
                await client.get(f"/api/profiles/01PROFILE{index:04d}XYZ")

    asyncio.run(run())
    assert counts_by_code(registry, PROFILE) == expected_counts()


def test_histogram_buckets_hold_each_duration(httpserver, registry):
    httpserver.expect_request("/api/accounts").respond_with_json({"data": []})
    durations = [0.04, 0.3, 2.0, 4.9, 5.1, 7.0, 12.0]
    clock = DurationClock(durations)
    with instrumented_client(
        "klaviyo", registry=registry, clock=clock, base_url=httpserver.url_for("")
    ) as client:
        for _ in durations:
            client.get("/api/accounts")

    buckets = {
        dict(labels)["le"]: value
        for labels, value in series(registry, "saas_api_request_duration_seconds_bucket").items()
    }
    assert buckets == {
        "0.05": 1.0,
        "0.1": 1.0,
        "0.25": 1.0,
        "0.5": 2.0,
        "1.0": 2.0,
        "2.5": 3.0,
        "5.0": 4.0,
        "7.5": 6.0,
        "10.0": 6.0,
        "15.0": 7.0,
        "30.0": 7.0,
        "+Inf": 7.0,
    }
    labels = {"vendor": "klaviyo", "endpoint": "/api/accounts"}
    assert registry.get_sample_value("saas_api_request_duration_seconds_count", labels) == 7.0
    assert registry.get_sample_value(
        "saas_api_request_duration_seconds_sum", labels
    ) == pytest.approx(sum(durations))


def test_connection_refused_is_counted_as_connection_error(registry):
    url = f"http://127.0.0.1:{closed_port()}/api/lists/Y6nRLr"
    with (
        instrumented_client("klaviyo", registry=registry) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(url)

    assert requests_total(registry, "klaviyo", "/api/lists/{id}", "connection_error") == 1.0
    assert len(series(registry, "saas_api_requests_total")) == 1


def test_read_timeout_is_counted_as_timeout_sync_and_async(registry):
    timeout = httpx.Timeout(5.0, read=0.2)
    with silent_server() as url:
        fetch_twice(url, registry, timeout)
    assert requests_total(registry, "clay", "/public/v0/me", "timeout") == 2.0
    assert len(series(registry, "saas_api_requests_total")) == 1


def fetch_twice(silent_url: str, registry: CollectorRegistry, timeout: httpx.Timeout) -> None:
    with (
        instrumented_client("clay", registry=registry, timeout=timeout) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"{silent_url}/public/v0/me")

    async def run() -> None:
        async with instrumented_async_client("clay", registry=registry, timeout=timeout) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"{silent_url}/public/v0/me")

    asyncio.run(run())


def test_vendor_is_detected_from_the_host():
    registry = CollectorRegistry()
    answer = httpx.MockTransport(lambda request: httpx.Response(204))
    with instrumented_client(registry=registry, transport=answer) as client:
        client.get("https://a.klaviyo.com/api/profiles/01GDDKASAP8TKDDA2GRZDSVP4H/")
        client.get("https://api.clay.com/public/v0/routines/function%3At_0tk3d4qnbeQm/run")
        client.get("https://api.example.com/v1/orders/12345/items")

    assert requests_total(registry, "klaviyo", PROFILE, "204") == 1.0
    assert requests_total(registry, "clay", "/public/v0/routines/{id}/run", "204") == 1.0
    assert requests_total(registry, "api.example.com", "/v1/orders/{id}/items", "204") == 1.0
    assert len(series(registry, "saas_api_requests_total")) == 3


def test_ten_thousand_distinct_ids_make_one_series(registry):
    answer = httpx.MockTransport(lambda request: httpx.Response(200))
    with instrumented_client(registry=registry, transport=answer) as client:
        for number in range(10_000):
            client.get(f"https://a.klaviyo.com/api/profiles/01H{number:023d}/lists")
            client.get(f"https://api.example.com/v1/customers/cus_{number}x")

    assert series(registry, "saas_api_requests_total") == {
        (("code", "200"), ("endpoint", "/api/profiles/{id}/lists"), ("vendor", "klaviyo")): 10_000,
        (
            ("code", "200"),
            ("endpoint", "/v1/customers/{id}"),
            ("vendor", "api.example.com"),
        ): 10_000,
    }


def test_endpoint_templates_are_capped_per_vendor(registry):
    answer = httpx.MockTransport(lambda request: httpx.Response(200))
    with instrumented_client(
        "generic", registry=registry, transport=answer, max_endpoints=3
    ) as client:
        # Lower-case-only segments look like words, so each of these is a new template.
        for word in ["alpha", "bravo", "charlie", "delta", "echo"]:
            client.get(f"https://api.example.com/v1/{word}")

    assert series(registry, "saas_api_requests_total") == {
        (("code", "200"), ("endpoint", "/v1/alpha"), ("vendor", "generic")): 1.0,
        (("code", "200"), ("endpoint", "/v1/bravo"), ("vendor", "generic")): 1.0,
        (("code", "200"), ("endpoint", "/v1/charlie"), ("vendor", "generic")): 1.0,
        (("code", "200"), ("endpoint", "{other}"), ("vendor", "generic")): 2.0,
    }


def test_extra_routes_take_precedence(registry):
    answer = httpx.MockTransport(lambda request: httpx.Response(200))
    with instrumented_client(
        "clay", registry=registry, transport=answer, routes=["/public/v0/tables/{id}/rows/{id}"]
    ) as client:
        client.get("https://api.clay.com/public/v0/tables/tbl_0t3x9/rows/notanid")

    assert requests_total(registry, "clay", "/public/v0/tables/{id}/rows/{id}", "200") == 1.0


def test_transports_wrap_a_given_transport_and_default_to_the_global_registry():
    recorder = RequestRecorder("vendor-under-test-global")
    answer = httpx.MockTransport(lambda request: httpx.Response(418))
    with httpx.Client(transport=InstrumentedTransport(recorder, answer)) as client:
        client.get("https://example.invalid/x")

    async def run() -> None:
        transport = AsyncInstrumentedTransport(recorder, answer)
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get("https://example.invalid/x")

    asyncio.run(run())
    assert requests_total(REGISTRY, "vendor-under-test-global", "/x", "418") == 2.0


def test_environment_proxy_is_reported_not_silently_dropped(monkeypatch, registry):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    with (
        pytest.warns(UserWarning, match=r"^a proxy is set in the environment, but httpx"),
        instrumented_client("klaviyo", registry=registry),
    ):
        pass
