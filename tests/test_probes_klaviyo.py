"""Every outcome of the Klaviyo probes, against a fake vendor serving recorded responses."""

import json
import threading

import pytest
from saas_tools.stack.processes import free_port
from werkzeug import Response

from saas_exporter.probes.klaviyo import parse_account
from tests.conftest import TEST_KEY, klaviyo_config, recorded_response, run_probe, target


def api(httpserver, **kwargs):
    return klaviyo_config(httpserver.url_for("").rstrip("/"), **kwargs)


def serve(httpserver, path, status, body="", headers=None, content_type="application/vnd.api+json"):
    httpserver.expect_request(path).respond_with_data(
        body, status=status, headers=headers or {}, content_type=content_type
    )


def jsonapi_error(status, code, detail):
    return json.dumps(
        {"errors": [{"status": status, "code": code, "title": detail, "detail": detail}]}
    )


def test_identity_success_from_recorded_response(httpserver):
    status, headers, body = recorded_response("get_accounts.200.json")
    httpserver.expect_request(
        "/api/accounts/",
        method="GET",
        headers={
            "Authorization": f"Klaviyo-API-Key {TEST_KEY}",
            "revision": "2026-07-15",
            "accept": "application/vnd.api+json",
        },
    ).respond_with_data(body, status=status, headers=headers)
    result = run_probe(
        target(api(httpserver, account={"expected_account_id": "WBhXHN"}), "accounts")
    )
    assert result.success is True
    assert result.failure_reason is None
    assert result.http_status == 200
    assert result.account.account_id == "WBhXHN"
    assert result.account.test_account is True
    assert dict(result.ratelimit.limits) == {"1": 1.0, "60": 15.0}
    assert result.ratelimit.remaining == 0.0
    assert result.ratelimit.reset_seconds == 0.0
    assert result.retry_after_seconds is None
    assert result.error == ""


def test_identity_for_another_account_is_account_mismatch(httpserver):
    status, headers, body = recorded_response("get_accounts.200.json")
    serve(httpserver, "/api/accounts/", status, body, headers)
    result = run_probe(
        target(api(httpserver, account={"expected_account_id": "XyZ987"}), "accounts")
    )
    assert result.success is False
    assert result.failure_reason == "account_mismatch"
    assert result.error == "the key answers for account WBhXHN, expected XyZ987"
    assert result.account.account_id == "WBhXHN"


def test_recorded_401_is_auth(httpserver):
    serve(httpserver, "/api/accounts/", *recorded_response("get_accounts.401.json")[::2])
    result = run_probe(target(api(httpserver), "accounts"))
    assert (result.success, result.failure_reason, result.http_status) == (False, "auth", 401)
    assert result.error == "401: Incorrect authentication credentials."


def test_recorded_429_is_throttled_with_retry_after(httpserver):
    status, headers, body = recorded_response("get_accounts.429.json")
    serve(httpserver, "/api/accounts/", status, body, headers)
    result = run_probe(target(api(httpserver), "accounts"))
    assert (result.failure_reason, result.http_status) == ("throttled", 429)
    assert result.retry_after_seconds == 1.0
    assert result.ratelimit is None
    assert result.error == "429: Request was throttled. Expected available in 1 second."


@pytest.mark.parametrize(
    ("probe", "path", "status", "body", "headers", "ctype", "reason", "error"),
    [
        (
            "accounts",
            "/api/accounts/",
            400,
            jsonapi_error(400, "invalid", "Missing API key."),
            {},
            "application/vnd.api+json",
            "auth",
            "400: Missing API key.",
        ),
        (
            "profiles",
            "/api/profiles/",
            400,
            jsonapi_error(400, "invalid", "Bad filter."),
            {},
            "application/vnd.api+json",
            "client_error",
            "400: Bad filter.",
        ),
        (
            "profiles",
            "/api/profiles/",
            401,
            jsonapi_error(401, "not_authenticated", "Use Klaviyo-API-Key."),
            {},
            "application/vnd.api+json",
            "auth",
            "401: Use Klaviyo-API-Key.",
        ),
        (
            "profiles",
            "/api/profiles/",
            403,
            jsonapi_error(
                403, "permission_denied", "You do not have permission to perform this action."
            ),
            {},
            "application/vnd.api+json",
            "forbidden",
            "403: You do not have permission to perform this action.",
        ),
        (
            "accounts",
            "/api/accounts/",
            403,
            "<html><title>Just a moment...</title></html>",
            {"cf-mitigated": "challenge"},
            "text/html",
            "cloudflare_challenge",
            "403: Cloudflare challenge page (cf-mitigated: challenge)",
        ),
        (
            "accounts",
            "/api/accounts/",
            403,
            "<!DOCTYPE html><html><body>Cloudflare: checking your browser (challenge)</body>",
            {},
            "text/html",
            "cloudflare_challenge",
            "403: Cloudflare challenge page (cf-mitigated: challenge)",
        ),
        (
            "profiles",
            "/api/profiles/",
            429,
            jsonapi_error(429, "throttled", "Request was throttled."),
            {"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"},
            "application/vnd.api+json",
            "throttled",
            "429: Request was throttled.",
        ),
        (
            "accounts",
            "/api/accounts/",
            500,
            jsonapi_error(500, "error", "A server error occurred."),
            {},
            "application/vnd.api+json",
            "server_error",
            "500: A server error occurred.",
        ),
        (
            "profiles",
            "/api/profiles/",
            502,
            "<html><body>502 Bad Gateway</body></html>",
            {},
            "text/html",
            "server_error",
            "502: HTML page instead of JSON",
        ),
        (
            "profiles",
            "/api/profiles/",
            503,
            "",
            {},
            "text/plain",
            "server_error",
            "503: empty body",
        ),
        (
            "accounts",
            "/api/accounts/",
            404,
            jsonapi_error(404, "not_found", "No valid revisions found for method"),
            {},
            "application/vnd.api+json",
            "client_error",
            "404: No valid revisions found for method",
        ),
        (
            "accounts",
            "/api/accounts/",
            200,
            "<html>maintenance</html>",
            {},
            "text/html",
            "invalid_response",
            "200: body is not JSON",
        ),
        (
            "accounts",
            "/api/accounts/",
            200,
            json.dumps({"data": []}),
            {},
            "application/vnd.api+json",
            "invalid_response",
            "200: data: expected a non-empty list of accounts, got list",
        ),
        (
            "accounts",
            "/api/accounts/",
            200,
            json.dumps({"data": [{"type": "account", "id": None}]}),
            {},
            "application/vnd.api+json",
            "invalid_response",
            "200: data[0].id: expected a non-empty string, got null",
        ),
        (
            "accounts",
            "/api/accounts/",
            204,
            "",
            {},
            "text/plain",
            "invalid_response",
            "204: expected 200",
        ),
        (
            "accounts",
            "/api/accounts/",
            302,
            "",
            {"location": "/login"},
            "text/plain",
            "invalid_response",
            "302: unexpected redirect to /login",
        ),
        (
            "profiles",
            "/api/profiles/",
            200,
            json.dumps({"data": "nope"}),
            {},
            "application/vnd.api+json",
            "invalid_response",
            "200: data: expected a list of profiles",
        ),
    ],
)
def test_http_outcomes(httpserver, probe, path, status, body, headers, ctype, reason, error):
    serve(httpserver, path, status, body, headers, ctype)
    result = run_probe(target(api(httpserver), probe))
    assert result.success is False
    assert result.failure_reason == reason
    assert result.http_status == status
    assert result.error == error


def test_profiles_success_reads_rate_limit_headers(httpserver):
    httpserver.expect_request("/api/profiles/", query_string="page%5Bsize%5D=1").respond_with_data(
        json.dumps({"data": [{"type": "profile", "id": "01H"}]}),
        headers={
            "ratelimit-limit": "75, 75;w=1, 750;w=60",
            "ratelimit-remaining": "72",
            "ratelimit-reset": "1",
        },
        content_type="application/vnd.api+json",
    )
    result = run_probe(target(api(httpserver), "profiles"))
    assert result.success is True
    assert dict(result.ratelimit.limits) == {"1": 75.0, "60": 750.0}
    assert (result.ratelimit.remaining, result.ratelimit.reset_seconds) == (72.0, 1.0)
    assert result.invalid_headers == ()


def test_garbage_rate_limit_headers_are_counted_not_fatal(httpserver):
    httpserver.expect_request("/api/profiles/").respond_with_data(
        json.dumps({"data": []}),
        headers={"ratelimit-limit": "banana", "ratelimit-remaining": "3", "retry-after": "later"},
    )
    result = run_probe(target(api(httpserver), "profiles"))
    assert result.success is True
    assert result.invalid_headers == ("ratelimit-limit", "retry-after")
    assert result.ratelimit.remaining == 3.0


def test_hung_vendor_is_a_timeout(httpserver):
    release = threading.Event()

    def hang(_request):
        release.wait(10)
        return Response("{}", status=200)

    httpserver.expect_request("/api/accounts/").respond_with_handler(hang)
    config = api(httpserver, vendor={"timeout": "200ms"})
    try:
        result = run_probe(target(config, "accounts"))
    finally:
        release.set()
    assert (result.success, result.failure_reason, result.http_status) == (False, "timeout", 0)
    assert result.error == "ReadTimeout: no response within 0.2s"


def test_refused_connection():
    config = klaviyo_config(f"http://127.0.0.1:{free_port()}")
    result = run_probe(target(config, "accounts"))
    assert (result.failure_reason, result.http_status) == ("connection", 0)
    assert result.error.startswith("ConnectError: ")


def test_tls_handshake_failure(httpserver):
    # An https:// URL pointed at a plain-HTTP server fails in the TLS handshake.
    config = klaviyo_config(httpserver.url_for("").rstrip("/").replace("http://", "https://"))
    result = run_probe(target(config, "accounts"))
    assert (result.failure_reason, result.http_status) == ("tls", 0)


def test_vendor_echoing_the_key_is_redacted(httpserver):
    serve(
        httpserver,
        "/api/accounts/",
        401,
        jsonapi_error(401, "authentication_failed", f"Key {TEST_KEY} is not valid."),
    )
    result = run_probe(target(api(httpserver), "accounts"))
    assert result.error == "401: Key <redacted> is not valid."


def test_parse_account_rejects_wrong_type():
    with pytest.raises(ValueError, match=r"data\[0\].type: expected 'account', got 'profile'"):
        parse_account({"data": [{"type": "profile", "id": "x"}]})
