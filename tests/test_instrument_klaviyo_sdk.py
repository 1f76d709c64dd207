"""The official Klaviyo SDK (klaviyo-api), instrumented, against a local server."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from saas_inapp.instrument import instrument_klaviyo_sdk

from tests.inapp_support import closed_port, requests_total, series, silent_server

klaviyo_api = pytest.importorskip("klaviyo_api")
urllib3 = pytest.importorskip("urllib3")  # the SDK's HTTP library
ApiException = klaviyo_api.openapi_client.exceptions.ApiException

PROFILE_ID = "01GDDKASAP8TKDDA2GRZDSVP4H"
PROFILE_BODY = {
    "data": {"type": "profile", "id": PROFILE_ID, "attributes": {}, "links": {"self": "x"}}
}


def sdk(host: str, registry: CollectorRegistry, max_retries: int = 1):
    # max_retries=1: the SDK gives up after the first attempt, so no backoff sleeps.
    client = klaviyo_api.KlaviyoAPI(
        "pk_test_0000", max_retries=max_retries, max_delay=0, test_host=host
    )
    return instrument_klaviyo_sdk(client, registry=registry)


def test_sdk_calls_are_counted_per_route_and_status(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request(f"/api/profiles/{PROFILE_ID}").respond_with_json(PROFILE_BODY)
    httpserver.expect_request("/api/accounts").respond_with_json(
        {"errors": [{"status": "401", "code": "not_authenticated"}]}, status=401
    )
    client = sdk(httpserver.url_for("").rstrip("/"), registry)

    client.Profiles.get_profile(PROFILE_ID)
    with pytest.raises(ApiException):
        client.Accounts.get_accounts()

    assert series(registry, "saas_api_requests_total") == {
        (("code", "200"), ("endpoint", "/api/profiles/{id}"), ("vendor", "klaviyo")): 1.0,
        (("code", "401"), ("endpoint", "/api/accounts"), ("vendor", "klaviyo")): 1.0,
    }


def test_each_sdk_retry_is_counted(httpserver):
    registry = CollectorRegistry()
    path = f"/api/profiles/{PROFILE_ID}"
    for status in (429, 503):
        httpserver.expect_ordered_request(path).respond_with_json({"errors": []}, status=status)
    httpserver.expect_ordered_request(path).respond_with_json(PROFILE_BODY)
    client = sdk(httpserver.url_for("").rstrip("/"), registry, max_retries=3)

    client.Profiles.get_profile(PROFILE_ID)

    assert {
        code: requests_total(registry, "klaviyo", "/api/profiles/{id}", code)
        for code in ("429", "503", "200")
    } == {
        "429": 1.0,
        "503": 1.0,
        "200": 1.0,
    }


def test_sdk_connection_failure_is_counted():
    registry = CollectorRegistry()
    client = sdk(f"http://127.0.0.1:{closed_port()}", registry)

    with pytest.raises(urllib3.exceptions.MaxRetryError, match=r"NewConnectionError"):
        client.Accounts.get_accounts()

    assert requests_total(registry, "klaviyo", "/api/accounts", "connection_error") == 1.0


def test_sdk_timeout_is_counted():
    registry = CollectorRegistry()
    with silent_server() as url:
        client = sdk(url, registry)
        with pytest.raises(urllib3.exceptions.MaxRetryError, match=r"ReadTimeoutError"):
            client.Accounts.get_accounts(_request_timeout=0.2)

    # urllib3 retries the read internally; the SDK call is one request that timed out.
    assert requests_total(registry, "klaviyo", "/api/accounts", "timeout") == 1.0


def test_instrumenting_twice_records_once(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/accounts").respond_with_json({"data": []})
    client = sdk(httpserver.url_for("").rstrip("/"), registry)
    instrument_klaviyo_sdk(client, registry=registry)

    client.Accounts.get_accounts()

    assert requests_total(registry, "klaviyo", "/api/accounts", "200") == 1.0


def test_something_else_is_refused():
    with pytest.raises(TypeError, match=r"^expected a klaviyo_api.KlaviyoAPI with api_client"):
        instrument_klaviyo_sdk(object())
