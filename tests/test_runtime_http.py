"""The running exporter: endpoints, /health contract, scrapes never reach the vendor."""

import asyncio
import re
import threading
import time

import httpx
import pytest
from werkzeug import Response

from saas_exporter.demo import demo_config
from saas_exporter.probes import ProbeResult
from saas_exporter.runtime import ExporterRuntime
from tests.conftest import klaviyo_config

LONG = {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"}


@pytest.fixture
def running(simulator):
    runtime = ExporterRuntime(demo_config(simulator.base_url, LONG), ("127.0.0.1", 0))
    runtime.start()
    assert runtime.store.wait_all_probed(10)
    yield runtime
    runtime.stop()


def get(runtime, path):
    return httpx.get(f"http://{runtime.address}{path}", timeout=5)


def switch(simulator, runtime, scenario, **params):
    simulator.set_scenario("klaviyo", scenario, **params)
    runtime.probe_all_now()


def test_endpoints(running):
    metrics = get(running, "/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert (
        'saas_probe_success{account="main",probe="accounts",vendor="klaviyo"} 1.0' in metrics.text
    )
    assert "process_resident_memory_bytes" in metrics.text
    assert (get(running, "/-/healthy").status_code, get(running, "/-/healthy").text) == (
        200,
        "OK\n",
    )
    assert (get(running, "/-/ready").status_code, get(running, "/-/ready").text) == (200, "Ready\n")
    landing = get(running, "/")
    assert landing.status_code == 200
    assert '<a href="metrics">/metrics</a>' in landing.text
    assert get(running, "/nope").status_code == 404


def test_health_contract_when_healthy(running):
    response = get(running, "/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["timestamp"].endswith("Z")
    klaviyo = body["services"]["klaviyo"]
    assert set(klaviyo) >= {"status", "latencyMs", "accountId", "error"}
    assert (klaviyo["status"], klaviyo["accountId"], klaviyo["error"]) == (
        "healthy",
        "DEMO01",
        None,
    )
    assert isinstance(klaviyo["latencyMs"], int)
    assert klaviyo["accounts"]["main"]["status"] == "healthy"
    assert klaviyo["statusPage"]["reachable"] is True
    assert klaviyo["statusPage"]["indicator"] == "none"


@pytest.mark.parametrize(
    ("scenario", "status", "error"),
    [
        ("auth_failure", "down", "auth: 401: Incorrect authentication credentials."),
        ("forbidden", "down", "forbidden: 403: This API key is missing required scopes."),
        (
            "cloudflare_challenge",
            "down",
            "cloudflare_challenge: 403: Cloudflare challenge page (cf-mitigated: challenge)",
        ),
        (
            "rate_limited",
            "degraded",
            "throttled: 429: Request was throttled. Expected available in 30 seconds.",
        ),
        ("outage_5xx", "down", "server_error: 500: A server error occurred."),
        ("vendor_incident", "down", "server_error: 503: HTML page instead of JSON"),
    ],
)
def test_health_follows_the_scenario(simulator, running, scenario, status, error):
    switch(simulator, running, scenario)
    response = get(running, "/health")
    assert response.status_code == 503
    klaviyo = response.json()["services"]["klaviyo"]
    assert (response.json()["status"], klaviyo["status"], klaviyo["error"]) == (
        status,
        status,
        error,
    )


def test_health_stays_healthy_when_only_the_status_page_is_down(simulator, running):
    switch(simulator, running, "statuspage_down")
    response = get(running, "/health")
    assert response.status_code == 200
    page = response.json()["services"]["klaviyo"]["statusPage"]
    assert (page["reachable"], page["error"]) == (False, "503: HTML page instead of JSON")


def test_health_recovers(simulator, running):
    switch(simulator, running, "auth_failure")
    switch(simulator, running, "healthy")
    assert get(running, "/health").status_code == 200


def test_scraping_never_calls_the_vendor(simulator, running):
    before = simulator.request_counts()
    for _ in range(50):
        assert get(running, "/metrics").status_code == 200
        assert get(running, "/health").status_code == 200
    assert simulator.request_counts() == before
    # One start-up run of each probe: klaviyo accounts, profiles, page; clay and acme api,
    # page; the two Atlassian pages (klaviyo, acme) also serve their maintenance feed (two
    # documents each), Clay's Rootly page has none.
    assert sum(before.values()) == 11


def test_a_hung_vendor_does_not_block_metrics_or_health(httpserver):
    release = threading.Event()

    def hang(_request):
        release.wait(15)
        return Response("{}", status=200)

    httpserver.expect_request("/api/accounts/").respond_with_handler(hang)
    httpserver.expect_request("/api/profiles/").respond_with_handler(hang)
    config = klaviyo_config(httpserver.url_for("").rstrip("/"), vendor={"timeout": "5s"})
    runtime = ExporterRuntime(config, ("127.0.0.1", 0))
    runtime.start()
    try:
        # Both probes are in flight, waiting on the vendor, while we scrape.
        metrics = httpx.get(f"http://{runtime.address}/metrics", timeout=2)
        assert metrics.status_code == 200
        assert (
            'saas_probe_failures_total{account="main",probe="accounts",'
            'reason="auth",vendor="klaviyo"} 0.0' in metrics.text
        )
        health = httpx.get(f"http://{runtime.address}/health", timeout=2)
        assert health.status_code == 503
        assert health.json()["services"]["klaviyo"]["error"] == "no probe has completed yet"
        ready = httpx.get(f"http://{runtime.address}/-/ready", timeout=2)
        assert ready.status_code == 503
        assert httpx.get(f"http://{runtime.address}/-/healthy", timeout=2).status_code == 200
    finally:
        release.set()
        runtime.stop()


def test_a_scraper_hanging_up_is_not_a_traceback(running, capfd):
    import socket

    host, port = running.address.rsplit(":", 1)
    for _ in range(20):
        with socket.create_connection((host, int(port))) as sock:
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert get(running, "/-/healthy").status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def test_ready_says_how_far_the_first_round_is(simulator):
    release = threading.Event()

    async def held(target):
        await asyncio.to_thread(release.wait, 30)
        return ProbeResult(True, 0.1, time.time(), 200)

    runtime = ExporterRuntime(
        demo_config(simulator.base_url, LONG), ("127.0.0.1", 0), run_probe=held
    )
    runtime.start()
    try:
        answer = get(runtime, "/-/ready")
        assert answer.status_code == 503
        total = len(runtime.targets)
        assert re.fullmatch(
            "waiting for the first probe of every target: 0 of "
            f"{total} targets probed; the first round is spread over 10 s to fit the "
            r"capacity, (ends in about \d+ s|its probes are running)\n",
            answer.text,
        ), answer.text
    finally:
        release.set()
        runtime.stop()
