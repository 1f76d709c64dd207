"""One redaction rule, tested with canaries in every output: logs (the HTTP client's
debug lines and tracebacks included), probe errors, /health, /metrics, the CLI and the
bundle. A vendor that echoes credentials back must not make us print them."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tarfile

import httpx
import pytest
from werkzeug import Response

from saas_exporter.config import load_config_data
from saas_exporter.logs import setup_logging
from saas_exporter.oncall import bundle, preflight
from saas_exporter.redaction import REDACTED, is_credential_name, redact
from saas_exporter.runtime import ExporterRuntime
from tests.conftest import KEY_ENV
from tests.oncall_support import run_command

KEY = "acme_live_CANARY0key0000000000000000"
CANARIES = ["CANARY1", "CANARY2", "CANARY3", "CANARY4", "CANARY5", "CANARY6", KEY]
# What a hostile vendor echoes: every credential shape the rule covers.
ECHO = (
    "rejected https://ops:CANARY1@api.acme.test/v1?api_key=CANARY2&page=2 "
    'with Authorization: Bearer CANARY3, {"x-api-key": "CANARY4"}, '
    "cookie: session=CANARY5, key " + KEY
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://u:p@h.test/x", f"https://{REDACTED}@h.test/x"),
        ("GET /v1?token=abc&page=2", f"GET /v1?token={REDACTED}&page=2"),
        ("Cookie: a=b; c=d", f"Cookie: {REDACTED}"),
        (
            '{"X-Api-Key": "abc", "accept": "json"}',
            f'{{"X-Api-Key": "{REDACTED}", "accept": "json"}}',
        ),
        (
            "[(b'set-cookie', b'id=1'), (b'vary', b'x')]",
            f"[(b'set-cookie', b'{REDACTED}'), (b'vary', b'x')]",
        ),
        ("headers: {Cookie: sid=1, Accept: x}", f"headers: {{Cookie: {REDACTED}, Accept: x}}"),
        ("Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        ("pk_0123456789abcdef", REDACTED),
        # Names of where a key is, and config paths in error messages, stay readable.
        ("api_key_env: KLAVIYO_KEY", "api_key_env: KLAVIYO_KEY"),
        ("auth_header: clay-api-key", "auth_header: clay-api-key"),
        (
            "vendors[0].api.headers.Cookie: looks like a credential",
            "vendors[0].api.headers.Cookie: looks like a credential",
        ),
        ("401: the key was rejected", "401: the key was rejected"),
        ("auth: 401: Incorrect credentials.", "auth: 401: Incorrect credentials."),
    ],
)
def test_the_rule(text, expected):
    assert redact(text) == expected


def test_credential_names():
    assert [
        n
        for n in ("api_key", "X-Api-Key", "Cookie", "accessToken", "clay-api-key")
        if is_credential_name(n)
    ] == [
        "api_key",
        "X-Api-Key",
        "Cookie",
        "accessToken",
        "clay-api-key",
    ]
    assert not any(
        map(is_credential_name, ("api_key_env", "api_key_file", "auth_header", "revision"))
    )


def clean(text: str) -> bool:
    return not any(canary in text for canary in CANARIES)


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = setup_logging("debug", "logfmt", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def echoing_vendor(httpserver):
    """A vendor answering 401 with credentials in its body and headers, and a redirect
    whose Location carries userinfo."""
    headers = {"Set-Cookie": "session=CANARY6; Path=/", "WWW-Authenticate": "Bearer CANARY3"}
    httpserver.expect_request("/v1/me").respond_with_json({"message": ECHO}, 401, headers=headers)
    httpserver.expect_request("/moved").respond_with_response(
        Response("", 302, {"Location": "https://ops:CANARY1@elsewhere.test/?token=CANARY2"})
    )
    return httpserver


def acme_config(url: str, path: str = "/v1/me"):
    data = {
        "vendors": [
            {
                "name": "acme",
                "kind": "generic",
                "api_url": url,
                "statuspage_url": None,
                "timeout": "2s",
                "intervals": {"api": "1h"},
                "api": {"path": path, "auth_header": "x-api-key"},
                "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
            }
        ]
    }
    return load_config_data(data, {KEY_ENV: KEY})


def test_logs_keep_no_canary_from_the_http_client_or_a_traceback(echoing_vendor, log_stream):
    acme_config(echoing_vendor.url_for("/").rstrip("/"))  # loading registers the key

    async def call():
        async with httpx.AsyncClient() as client:
            await client.get(echoing_vendor.url_for("/v1/me"), headers={"x-api-key": "CANARY4"})

    asyncio.run(call())
    log = logging.getLogger("saas_exporter.test")
    log.info("probe failed", extra={"fields": {"error": ECHO, "api_key": "CANARY2"}})
    try:
        raise ValueError(ECHO)
    except ValueError:
        log.exception("crash")
    logged = log_stream.getvalue()
    assert "crash" in logged and "ValueError" in logged
    # The HTTP client's debug lines (raw headers) are not logged at all at --log.level debug.
    assert "logger=httpcore" not in logged and "logger=httpx" not in logged
    assert clean(logged), logged


@pytest.mark.parametrize("path", ["/v1/me", "/moved"])
def test_errors_health_metrics_and_logs_keep_no_canary(echoing_vendor, log_stream, path):
    runtime = ExporterRuntime(
        acme_config(echoing_vendor.url_for("/").rstrip("/"), path), ("127.0.0.1", 0)
    )
    runtime.start()
    try:
        runtime.probe_all_now()
        outputs = [httpx.get(f"http://{runtime.address}{p}").text for p in ("/health", "/metrics")]
        errors = [s.last.error for s in runtime.store.states().values() if s.last]
    finally:
        runtime.stop()
    assert errors and errors[0].startswith(
        ("401: rejected https://<redacted>@", "302: unexpected redirect")
    )
    for text in [*outputs, *errors, log_stream.getvalue()]:
        assert clean(text), text


def write_acme_config(tmp_path, url: str):
    key_file = tmp_path / "acme.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    config = tmp_path / "config.yml"
    config.write_text(
        json.dumps(
            {
                "vendors": [
                    {
                        "name": "acme",
                        "kind": "generic",
                        "api_url": url,
                        "statuspage_url": url,
                        "timeout": "2s",
                        "api": {"path": "/v1/me", "auth_header": "x-api-key"},
                        "accounts": [{"name": "main", "api_key_file": str(key_file)}],
                    }
                ]
            }
        )
    )
    return config


@pytest.mark.parametrize("output", ["text", "json"])
def test_the_cli_keeps_no_canary(echoing_vendor, tmp_path, output):
    config = write_acme_config(tmp_path, echoing_vendor.url_for("/").rstrip("/"))
    code, out, err = run_command(preflight.run, ["--config.file", str(config), "--output", output])
    assert code != 0
    assert "rejected" in out + err
    assert clean(out + err), out + err


def test_the_bundle_keeps_no_canary(echoing_vendor, tmp_path):
    url = echoing_vendor.url_for("/").rstrip("/")
    echoing_vendor.expect_request("/health").respond_with_json({"status": "down", "error": ECHO})
    echoing_vendor.expect_request("/metrics").respond_with_data(f"# {ECHO}\n")
    echoing_vendor.expect_request("/api/v2/summary.json").respond_with_json({"note": ECHO})
    config = write_acme_config(tmp_path, url)
    target = tmp_path / "bundle.tar.gz"
    argv = ["--prometheus-url", "http://127.0.0.1:9", "--exporter-url", url]
    run_command(bundle.run, [*argv, "--config.file", str(config), "--out", str(target)])
    with tarfile.open(target) as archive:
        members = {m.name: archive.extractfile(m).read().decode() for m in archive if m.isfile()}
    assert any("exporter/health.json" in name for name in members)
    for name, text in members.items():
        assert clean(text), (name, text)
