"""The api probe of the clay and generic kinds: every outcome, against a local fake vendor."""

import base64
import json

import pytest

from tests.conftest import CLAY_TEST_KEY, api_vendor_config, run_probe, target


def clay(httpserver, path="/workspace", **api):
    base = httpserver.url_for("/public/v0").rstrip("/")
    return target(api_vendor_config("clay", base, {"path": path, **api}), "api")


def generic(httpserver, api, key=CLAY_TEST_KEY, account=None):
    config = api_vendor_config(
        "generic", httpserver.url_for("").rstrip("/"), api, key, None, account
    )
    return target(config, "api")


def serve(httpserver, path, status, body="", headers=None, content_type="application/json"):
    httpserver.expect_request(path).respond_with_data(
        body, status=status, headers=headers or {}, content_type=content_type
    )


def outcome(result):
    return (result.success, result.failure_reason, result.http_status, result.error)


def test_clay_success_sends_the_key_header_and_reads_x_ratelimit(httpserver):
    httpserver.expect_request(
        "/public/v0/workspace",
        method="GET",
        headers={"clay-api-key": CLAY_TEST_KEY, "accept": "application/json"},
    ).respond_with_data(
        json.dumps({"workspace": {"id": "WS42"}}),
        headers={
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": "598",
            "X-RateLimit-Reset": "17",
        },
        content_type="application/json",
    )
    result = run_probe(clay(httpserver, account_id_field="workspace.id"))
    assert outcome(result) == (True, None, 200, "")
    assert dict(result.ratelimit.limits) == {"unspecified": 600.0}
    assert (result.ratelimit.remaining, result.ratelimit.reset_seconds) == (598.0, 17.0)
    assert result.account.account_id == "WS42"


@pytest.mark.parametrize(
    ("status", "body", "headers", "content_type", "expected"),
    [
        (
            402,
            '{"message": "Your workspace has run out of credits."}',
            {},
            "application/json",
            (False, "credits_exhausted", 402, "402: Your workspace has run out of credits."),
        ),
        (
            401,
            '{"message": "Invalid API key"}',
            {},
            "application/json",
            (False, "auth", 401, "401: Invalid API key"),
        ),
        (
            403,
            '{"message": "No access"}',
            {},
            "application/json",
            (False, "forbidden", 403, "403: No access"),
        ),
        (
            403,
            "<html>Just a moment...</html>",
            {"cf-mitigated": "challenge"},
            "text/html",
            (
                False,
                "cloudflare_challenge",
                403,
                "403: Cloudflare challenge page (cf-mitigated: challenge)",
            ),
        ),
        (
            404,
            '{"message": "Not found"}',
            {},
            "application/json",
            (False, "client_error", 404, "404: Not found"),
        ),
        (
            500,
            '{"message": "Internal error"}',
            {},
            "application/json",
            (False, "server_error", 500, "500: Internal error"),
        ),
        (
            503,
            "<html>503</html>",
            {},
            "text/html",
            (False, "server_error", 503, "503: HTML page instead of JSON"),
        ),
        (204, "", {}, "application/json", (False, "invalid_response", 204, "204: expected 200")),
        (
            302,
            "",
            {"location": "https://login.example/"},
            "text/html",
            (False, "invalid_response", 302, "302: unexpected redirect to https://login.example/"),
        ),
    ],
)
def test_clay_statuses(httpserver, status, body, headers, content_type, expected):
    serve(httpserver, "/public/v0/workspace", status, body, headers, content_type)
    assert outcome(run_probe(clay(httpserver))) == expected


def test_clay_429_carries_retry_after_and_spends_the_budget(httpserver):
    serve(
        httpserver,
        "/public/v0/workspace",
        429,
        '{"message": "Too many requests"}',
        {"Retry-After": "12"},
    )
    result = run_probe(clay(httpserver))
    assert outcome(result) == (False, "throttled", 429, "429: Too many requests")
    assert result.retry_after_seconds == 12.0


def test_a_402_is_only_credits_exhausted_for_clay(httpserver):
    serve(httpserver, "/v1/me", 402, '{"message": "Payment required"}')
    result = run_probe(generic(httpserver, {"path": "/v1/me", "auth_header": "x-api-key"}))
    assert outcome(result) == (False, "client_error", 402, "402: Payment required")


def test_generic_header_prefix_and_vendor_rate_limit_names(httpserver):
    httpserver.expect_request(
        "/admin/api/2025-01/shop.json",
        headers={"X-Shopify-Access-Token": "Token shpat_0123456789", "x-client": "saas-exporter"},
    ).respond_with_data(
        json.dumps({"shop": {"id": 548380009, "name": "Example"}}),
        headers={"x-shop-quota": "40", "x-shop-left": "39", "x-shop-reset": "2"},
        content_type="application/json",
    )
    api = {
        "path": "/admin/api/2025-01/shop.json",
        "auth_header": "X-Shopify-Access-Token",
        "auth_prefix": "Token ",
        "headers": {"x-client": "saas-exporter"},
        "ratelimit_headers": {
            "limit": "X-Shop-Quota",
            "remaining": "x-shop-left",
            "reset": "x-shop-reset",
        },
        "json_field": "shop.name",
        "account_id_field": "shop.id",
    }
    result = run_probe(
        generic(
            httpserver, api, key="shpat_0123456789", account={"expected_account_id": "548380009"}
        )
    )
    assert outcome(result) == (True, None, 200, "")
    assert dict(result.ratelimit.limits) == {"unspecified": 40.0}
    assert (result.ratelimit.remaining, result.ratelimit.reset_seconds) == (39.0, 2.0)
    assert result.account.account_id == "548380009"


def test_used_of_limit_header_like_shopify_call_limit(httpserver):
    serve(httpserver, "/shop.json", 200, "{}", {"X-Shopify-Shop-Api-Call-Limit": "32/40"})
    api = {
        "path": "/shop.json",
        "auth_header": "X-Shopify-Access-Token",
        "ratelimit_headers": {"used_of_limit": "X-Shopify-Shop-Api-Call-Limit"},
    }
    result = run_probe(generic(httpserver, api))
    assert dict(result.ratelimit.limits) == {"unspecified": 40.0}
    assert result.ratelimit.remaining == 8.0


def test_malformed_vendor_header_is_reported_by_its_configured_name(httpserver):
    serve(httpserver, "/me", 200, "{}", {"x-quota-left": "lots", "x-call-limit": "32 of 40"})
    api = {
        "path": "/me",
        "auth_header": "x-api-key",
        "ratelimit_headers": {"remaining": "x-quota-left", "used_of_limit": "x-call-limit"},
    }
    result = run_probe(generic(httpserver, api))
    assert result.success is True  # a bad header never fails the probe
    assert sorted(result.invalid_headers) == ["x-call-limit", "x-quota-left"]


def test_basic_auth_from_a_user_password_key(httpserver):
    token = base64.b64encode(b"AC0123:secret-token").decode()
    httpserver.expect_request(
        "/2010-04-01/Accounts.json", headers={"Authorization": f"Basic {token}"}
    ).respond_with_json({"accounts": [{"sid": "AC0123"}]})
    api = {
        "path": "/2010-04-01/Accounts.json",
        "auth_header": "Authorization",
        "auth_prefix": "Basic ",
        "auth_base64": True,
        "account_id_field": "accounts.0.sid",
    }
    result = run_probe(generic(httpserver, api, key="AC0123:secret-token"))
    assert outcome(result) == (True, None, 200, "")
    assert result.account.account_id == "AC0123"


@pytest.mark.parametrize(
    ("body", "api", "expected"),
    [
        (
            "not json",
            {"json_field": "data"},
            (False, "invalid_response", 200, "200: body is not JSON"),
        ),
        (
            '{"data": {}}',
            {"json_field": "data.id"},
            (
                False,
                "invalid_response",
                200,
                "200: data.id: expected in the JSON body, but data has no 'id'",
            ),
        ),
        (
            '{"items": []}',
            {"account_id_field": "items.0.id"},
            (
                False,
                "invalid_response",
                200,
                "200: items.0.id: expected in the JSON body, but items has no '0'",
            ),
        ),
        (
            '{"id": null}',
            {"json_field": "id"},
            (False, "invalid_response", 200, "200: id: expected a value, got null"),
        ),
        (
            '{"account": {"id": {"x": 1}}}',
            {"account_id_field": "account.id"},
            (
                False,
                "invalid_response",
                200,
                "200: account.id: expected an id (string or number), got dict",
            ),
        ),
        ("not json", {}, (True, None, 200, "")),  # no field asked for: the status is the check
    ],
)
def test_json_field_checks(httpserver, body, api, expected):
    serve(httpserver, "/me", 200, body)
    assert (
        outcome(run_probe(generic(httpserver, {"path": "/me", "auth_header": "x-api-key", **api})))
        == expected
    )


def test_account_mismatch_names_both_ids(httpserver):
    serve(httpserver, "/me", 200, '{"account": {"id": "ACME9"}}')
    api = {"path": "/me", "auth_header": "x-api-key", "account_id_field": "account.id"}
    result = run_probe(generic(httpserver, api, account={"expected_account_id": "ACME1"}))
    assert outcome(result) == (
        False,
        "account_mismatch",
        200,
        "the key answers for account ACME9, expected ACME1",
    )


def test_expected_status_list(httpserver):
    serve(httpserver, "/ping", 204)
    api = {"path": "/ping", "auth_header": "x-api-key", "expected_status": [200, 204]}
    assert outcome(run_probe(generic(httpserver, api))) == (True, None, 204, "")


def test_vendor_echoing_the_key_is_redacted(httpserver):
    serve(httpserver, "/me", 401, json.dumps({"message": f"key {CLAY_TEST_KEY} is not valid"}))
    result = run_probe(generic(httpserver, {"path": "/me", "auth_header": "x-api-key"}))
    assert result.error == "401: key <redacted> is not valid"
