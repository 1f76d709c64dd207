"""In-app headroom: what the application's own responses carry, parsed as the probes do."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from saas_inapp.instrument import declare_api_revision, instrument_klaviyo_sdk, instrumented_client

from saas_exporter.revisions import RevisionLifecycle, revision_lifecycle
from tests.inapp_support import NOW, series

KLAVIYO_HEADERS = {
    "RateLimit-Limit": "75, 75;w=1, 700;w=60",
    "RateLimit-Remaining": "72",
    "RateLimit-Reset": "1",
}
HEADROOM = (("account", "main"), ("endpoint", "/api/profiles"), ("vendor", "klaviyo"))


def client(httpserver, registry, **kwargs):
    return instrumented_client(
        "klaviyo",
        registry=registry,
        account="main",
        wall_clock=lambda: NOW,
        base_url=httpserver.url_for("/"),
        **kwargs,
    )


def headroom(registry):
    return {
        name: series(registry, name)
        for name in (
            "saas_api_ratelimit_limit",
            "saas_api_ratelimit_remaining",
            "saas_api_ratelimit_reset_seconds",
            "saas_api_ratelimit_observed_timestamp_seconds",
            "saas_api_retry_after_seconds",
        )
    }


def test_rate_limit_headers_of_each_response_are_recorded(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/profiles").respond_with_json({}, headers=KLAVIYO_HEADERS)

    client(httpserver, registry).get("/api/profiles")

    assert headroom(registry) == {
        "saas_api_ratelimit_limit": {
            (*HEADROOM[:2], ("vendor", "klaviyo"), ("window", "1")): 75.0,
            (*HEADROOM[:2], ("vendor", "klaviyo"), ("window", "60")): 700.0,
        },
        "saas_api_ratelimit_remaining": {HEADROOM: 72.0},
        "saas_api_ratelimit_reset_seconds": {HEADROOM: 1.0},
        "saas_api_ratelimit_observed_timestamp_seconds": {HEADROOM: NOW},
        "saas_api_retry_after_seconds": {HEADROOM: 0.0},
    }


def test_a_429_without_a_count_spends_the_budget_until_retry_after(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_ordered_request("/api/profiles").respond_with_json(
        {}, headers=KLAVIYO_HEADERS
    )
    httpserver.expect_ordered_request("/api/profiles").respond_with_json(
        {"errors": []}, status=429, headers={"Retry-After": "30"}
    )
    http = client(httpserver, registry)
    http.get("/api/profiles")
    http.get("/api/profiles")

    found = headroom(registry)
    assert found["saas_api_ratelimit_remaining"] == {HEADROOM: 0.0}
    assert found["saas_api_ratelimit_reset_seconds"] == {HEADROOM: 30.0}
    assert found["saas_api_retry_after_seconds"] == {HEADROOM: 30.0}
    # The limits the earlier response gave stay.
    assert len(found["saas_api_ratelimit_limit"]) == 2


def test_retry_after_as_an_http_date(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/profiles").respond_with_json(
        {}, status=429, headers={"Retry-After": "Sun, 20 Sep 2026 14:14:05 GMT"}
    )
    client(httpserver, registry).get("/api/profiles")
    # NOW is 2026-09-21T14:13:20Z: the date is in the past, so 0 s.
    assert headroom(registry)["saas_api_retry_after_seconds"] == {HEADROOM: 0.0}


def test_headers_that_do_not_parse_are_counted_by_name_not_raised(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/profiles").respond_with_json(
        {}, headers={"RateLimit-Remaining": "lots", "Retry-After": "soon"}
    )

    response = client(httpserver, registry).get("/api/profiles")

    assert response.status_code == 200
    assert series(registry, "saas_api_ratelimit_header_invalid_total") == {
        (("header", "ratelimit-remaining"), ("vendor", "klaviyo")): 1.0,
        (("header", "retry-after"), ("vendor", "klaviyo")): 1.0,
    }
    assert headroom(registry)["saas_api_ratelimit_remaining"] == {}


def test_a_response_without_headers_leaves_no_headroom_series(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/profiles").respond_with_json({})
    client(httpserver, registry).get("/api/profiles")
    found = headroom(registry)
    assert found["saas_api_ratelimit_observed_timestamp_seconds"] == {}
    assert found["saas_api_retry_after_seconds"] == {HEADROOM: 0.0}


def revisions(registry):
    return (
        series(registry, "saas_api_revision_info"),
        series(registry, "saas_api_revision_deprecation_timestamp_seconds"),
        series(registry, "saas_api_revision_retirement_timestamp_seconds"),
    )


def lifecycle(revision):
    life = revision_lifecycle(revision)
    return (
        RevisionLifecycle.timestamp(life.deprecated),
        RevisionLifecycle.timestamp(life.retired),
    )


def test_the_revision_header_a_request_sends_is_exported(httpserver):
    registry = CollectorRegistry()
    httpserver.expect_request("/api/profiles").respond_with_json({})
    http = client(httpserver, registry, headers={"revision": "2025-01-15"})
    http.get("/api/profiles")
    http.get("/api/profiles", headers={"revision": "2026-07-15"})

    info, deprecation, retirement = revisions(registry)
    # Both are exported; the lifecycle is the oldest one's.
    assert info == {
        (("revision", "2025-01-15"), ("vendor", "klaviyo")): 1.0,
        (("revision", "2026-07-15"), ("vendor", "klaviyo")): 1.0,
    }
    deprecated, retired = lifecycle("2025-01-15")
    assert deprecation == {(("vendor", "klaviyo"),): deprecated}
    assert retirement == {(("vendor", "klaviyo"),): retired}


def test_a_declared_revision_and_a_vendor_without_revisions(httpserver):
    registry = CollectorRegistry()
    declare_api_revision("klaviyo", "2026-07-15", registry)
    httpserver.expect_request("/public/v0/me").respond_with_json({})
    instrumented_client("clay", registry=registry, base_url=httpserver.url_for("/")).get(
        "/public/v0/me", headers={"revision": "ignored"}
    )
    info, deprecation, _ = revisions(registry)
    assert info == {(("revision", "2026-07-15"), ("vendor", "klaviyo")): 1.0}
    assert deprecation == {(("vendor", "klaviyo"),): lifecycle("2026-07-15")[0]}


def test_api_revision_needs_a_vendor():
    with pytest.raises(ValueError, match=r"^api_revision needs the vendor it is sent to"):
        instrumented_client(api_revision="2026-07-15")


klaviyo_api = pytest.importorskip("klaviyo_api")
PROFILE_ID = "01GDDKASAP8TKDDA2GRZDSVP4H"
PROFILE = {"data": {"type": "profile", "id": PROFILE_ID, "attributes": {}, "links": {"self": "x"}}}


def test_sdk_headroom_revision_and_retry_sleeps(httpserver, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(klaviyo_api.custom_retry.time, "sleep", slept.append)
    registry = CollectorRegistry()
    path = f"/api/profiles/{PROFILE_ID}"
    for status in (429, 503):
        httpserver.expect_ordered_request(path).respond_with_json(
            {"errors": []}, status=status, headers={"RateLimit-Remaining": "0"}
        )
    httpserver.expect_ordered_request(path).respond_with_json(PROFILE, headers=KLAVIYO_HEADERS)
    sdk = klaviyo_api.KlaviyoAPI(
        "pk_test_0000", max_retries=3, test_host=httpserver.url_for("").rstrip("/")
    )
    instrument_klaviyo_sdk(sdk, registry=registry, account="main")
    instrument_klaviyo_sdk(sdk, registry=registry, account="main")  # idempotent

    sdk.Profiles.get_profile(PROFILE_ID)

    assert len(slept) == 2
    assert registry.get_sample_value(
        "saas_api_retry_sleep_seconds_count", {"vendor": "klaviyo"}
    ) == len(slept)
    assert registry.get_sample_value(
        "saas_api_retry_sleep_seconds_sum", {"vendor": "klaviyo"}
    ) == pytest.approx(sum(slept))
    labels = {"vendor": "klaviyo", "account": "main", "endpoint": "/api/profiles/{id}"}
    assert registry.get_sample_value("saas_api_ratelimit_remaining", labels) == 72.0
    info, _, _ = revisions(registry)
    assert info == {(("revision", sdk._REVISION), ("vendor", "klaviyo")): 1.0}
