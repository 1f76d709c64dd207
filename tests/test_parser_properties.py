"""Property tests: every parser of outside input either answers or refuses with its own
error, never anything else, and never an infinity or an unbounded value. Kept short
(a few hundred examples each) to fit `make test`; `make soak` runs the long version."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from saas_inapp.webhooks import KlaviyoWebhookVerifier, VerificationResult

from saas_exporter import bounded_json
from saas_exporter.config import ResponseLimits
from saas_exporter.durations import parse_duration
from saas_exporter.probes.api_get import lookup_field
from saas_exporter.probes.atlassian import parse_atlassian_summary
from saas_exporter.probes.clients import make_client
from saas_exporter.probes.http import exchange, vendor_message
from saas_exporter.probes.klaviyo import parse_account
from saas_exporter.probes.rootly import parse_rootly_status
from saas_exporter.ratelimit_headers import (
    MAX_WINDOWS,
    UNSPECIFIED_WINDOW,
    parse_named_rate_limit_headers,
    parse_rate_limit_headers,
)
from saas_exporter.retry_after import MAX_RETRY_AFTER_SECONDS, parse_retry_after

# The suite's count (tests/conftest.py's profile); SAAS_HYPOTHESIS_EXAMPLES raises it for
# a long fuzz (make soak).
EXAMPLES = int(os.environ.get("SAAS_HYPOTHESIS_EXAMPLES", settings.default.max_examples))
QUICK = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = 1_793_000_000.0

HEADER_NAMES = [
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-shop-calls",
]
# Pieces a header value is made of, so generated values look like real ones often.
HEADER_PIECES = st.sampled_from(
    ['"', ";", ",", "=", " ", "w", "q", "r", "t", "pk", ":", "default", "limit", "remaining"]
    + ["reset", "1", "0", "-1", "60", "9" * 20, "1.5", "?1", "quota", "/", "\t", "é"]
)
HEADER_VALUE = st.one_of(
    st.lists(HEADER_PIECES, max_size=12).map("".join),
    st.text(max_size=40),
)


def finite_non_negative(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and value >= 0)


@QUICK
@given(st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUE, max_size=6))
def test_rate_limit_headers_never_raise_and_stay_finite(headers):
    parsed = parse_named_rate_limit_headers(
        headers, NOW, {"used_of_limit": "x-shop-calls", "remaining": "ratelimit-remaining"}
    )
    assert {i.header for i in parsed.invalid} <= set(headers)
    if parsed.info is not None:
        assert all(finite_non_negative(v) for v in parsed.info.limits.values())
        assert finite_non_negative(parsed.info.remaining)
        assert finite_non_negative(parsed.info.reset_seconds)
        assert len(parsed.info.limits) <= MAX_WINDOWS
        for window in parsed.info.limits:
            assert window == UNSPECIFIED_WINDOW or (window.isdigit() and len(window) <= 15)


@QUICK
@given(
    st.lists(
        st.tuples(st.integers(0, 10**15 - 1), st.integers(1, 10**15 - 1)), min_size=1, max_size=12
    )
)
def test_well_formed_policies_are_read_exactly(policies):
    value = ", ".join(f'"p{i}";q={q};w={w}' for i, (q, w) in enumerate(policies))
    parsed = parse_rate_limit_headers({"ratelimit-policy": value}, NOW)
    windows = {}
    for q, w in policies:
        if str(w) in windows or len(windows) < MAX_WINDOWS:
            windows[str(w)] = min(float(q), windows.get(str(w), float(q)))
    assert parsed.info.limits == windows


@QUICK
@given(st.text(max_size=60))
def test_retry_after_is_a_bounded_delay_or_a_value_error(text):
    try:
        seconds = parse_retry_after(text, NOW)
    except ValueError as err:
        assert str(err).startswith("retry-after: expected delay-seconds or an HTTP-date")
        return
    assert 0 <= seconds <= MAX_RETRY_AFTER_SECONDS


@QUICK
@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2070, 1, 1)))
def test_the_three_http_date_forms_name_the_same_moment(moment):
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    forms = [
        moment.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        moment.strftime("%A, %d-%b-%y %H:%M:%S GMT"),
        moment.strftime("%a %b ") + f"{moment.day:>2}" + moment.strftime(" %H:%M:%S %Y"),
    ]
    expected = max(0.0, moment.timestamp() - NOW)
    assert [parse_retry_after(f, NOW) for f in forms] == [expected] * 3


@QUICK
@given(st.text(max_size=30))
def test_durations_are_finite_seconds_or_a_value_error(text):
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert math.isfinite(seconds) and seconds >= 0


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
# Shapes close to a status page, so the parsers get past their first checks often.
PAGE_LIKE = st.fixed_dictionaries(
    {
        "status": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {
                    "indicator": st.sampled_from(["none", "minor", "major", "bogus"]),
                    "description": JSON,
                }
            ),
        ),
        "components": st.one_of(
            JSON,
            st.lists(
                st.dictionaries(
                    st.sampled_from(["id", "name", "status", "group", "group_id"]),
                    st.one_of(JSON, st.sampled_from(["operational", "major_outage"])),
                ),
                max_size=8,
            ),
        ),
        "incidents": st.one_of(JSON, st.lists(JSON, max_size=4)),
        "scheduled_maintenances": JSON,
    }
)
SMALL = ResponseLimits(max_components=3, max_incidents=2, max_label_length=12)


@QUICK
@given(st.one_of(JSON, PAGE_LIKE))
def test_status_pages_parse_or_refuse_with_a_value_error(body):
    for parse in (parse_atlassian_summary, parse_rootly_status):
        try:
            page = parse(body, SMALL)
        except ValueError:
            continue
        assert len(page.components) <= 3 and len(page.incidents) <= 2
        labels = [c.name for c in page.components] + [c.group for c in page.components]
        labels += [i.id for i in page.incidents] + [i.name for i in page.incidents]
        assert all(len(label) <= 12 for label in labels)
        for label in labels:
            label.encode("utf-8")  # no lone surrogates
        pairs = [(c.name, c.group) for c in page.components]
        assert len(pairs) == len(set(pairs))


@QUICK
@given(st.one_of(JSON, st.fixed_dictionaries({"data": st.lists(JSON, max_size=2)})))
def test_account_documents_parse_or_refuse_with_a_value_error(body):
    try:
        identity = parse_account(body, 12)
    except ValueError:
        return
    assert 0 < len(identity.account_id) <= 12


@QUICK
@given(JSON, st.lists(st.sampled_from(["data", "0", "id", "1", "x"]), min_size=1, max_size=4))
def test_json_field_lookup_finds_or_refuses_with_a_value_error(body, parts):
    with contextlib.suppress(ValueError):
        lookup_field(body, ".".join(parts))


@QUICK
@given(JSON)
def test_error_bodies_give_text_or_nothing(body):
    found = vendor_message(body)
    assert found is None or isinstance(found, str)


@QUICK
@given(st.binary(max_size=200))
def test_bounded_json_parses_or_refuses_bytes(data):
    with contextlib.suppress(bounded_json.JSONRejected):
        bounded_json.loads(data)


@QUICK
@given(JSON)
def test_bounded_json_reads_what_json_writes(value):
    text = json.dumps(value)
    assert bounded_json.loads(text) == json.loads(text)


@QUICK
@given(st.integers(1, 3000), st.sampled_from(["[", '{"a":']))
def test_any_nesting_depth_is_read_or_refused_never_a_recursion_error(depth, opener):
    closer = "]" if opener == "[" else "}"
    text = opener * depth + "1" + closer * depth
    try:
        bounded_json.loads(text)
    except bounded_json.JSONRejected as err:
        assert depth > bounded_json.MAX_DEPTH
        assert str(err) == "is nested deeper than 64 levels"


SECRET = "whsec-property"


def _signed(body: bytes, timestamp: str = "1") -> dict[str, str]:
    mac = hmac.new(SECRET.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    return {"Klaviyo-Webhook-Id": "w", "Klaviyo-Timestamp": timestamp, "Klaviyo-Signature": mac}


VERIFIER = KlaviyoWebhookVerifier(SECRET, registry=CollectorRegistry(), clock=lambda: NOW)


@QUICK
@given(st.binary(max_size=300), st.dictionaries(st.text(max_size=20), st.text(max_size=70)))
def test_webhook_verifier_answers_every_unsigned_delivery(body, headers):
    outcome = VERIFIER.verify(headers, body)
    assert outcome.result in set(VerificationResult)


@QUICK
@given(
    st.one_of(
        JSON.map(lambda v: json.dumps(v).encode()),
        st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1, 20_000).map(lambda n: b'{"data": [], "n": ' + b"9" * n + b"}"),
        st.binary(max_size=100),
    )
)
def test_webhook_verifier_answers_every_signed_body(body):
    # Signed: verification passes the signature and reaches the body parser.
    outcome = VERIFIER.verify(_signed(body), body)
    assert outcome.result in (VerificationResult.MALFORMED, VerificationResult.INVALID_SIGNATURE)


VENDOR_FIELDS = [
    "name",
    "kind",
    "api_url",
    "statuspage_url",
    "revision",
    "timeout",
    "intervals",
    "rate_limits_per_minute",
    "api",
    "accounts",
    "statuspage_format",
]
FIELD_VALUES = st.one_of(
    JSON,
    st.sampled_from(
        ["klaviyo", "generic", "clay", "0s", "1ms", "2026-02-30", "http://[::1", "x:99999"]
        + ["https://u:p@h/?token=t", "/v1/me?api_key=k", "\ufeffk"]
    ),
    st.fixed_dictionaries({"path": st.sampled_from(["/v1", "/v1?key=1"])}),
    st.lists(st.fixed_dictionaries({"name": st.just("main"), "api_key_env": st.just("K")})),
)
CONFIG_LIKE = st.fixed_dictionaries(
    {
        "vendors": st.lists(
            st.dictionaries(st.sampled_from(VENDOR_FIELDS), FIELD_VALUES), max_size=2
        )
    },
    optional={"global": st.dictionaries(st.sampled_from(["timeout", "limits"]), FIELD_VALUES)},
)


@QUICK
@given(st.one_of(JSON, CONFIG_LIKE))
def test_any_config_data_loads_or_is_refused_with_a_config_error(data):
    from saas_exporter.config import ConfigError, load_config_data

    try:
        load_config_data(data, {"K": "pk_0123456789abcdef0123456789abcdef"})
    except ConfigError as err:
        assert err.problems and all(isinstance(p, str) for p in err.problems)
        # Refused for a named reason, not caught by the last line of defence.
        assert not any("the config could not be read" in p for p in err.problems), err.problems


@QUICK
@given(st.text(max_size=200))
def test_any_yaml_text_parses_or_is_refused_with_a_config_error(text):
    from saas_exporter.config import ConfigError
    from saas_exporter.config.files import parse_yaml

    with contextlib.suppress(ConfigError):
        parse_yaml(text, "config.yml")


# What a vendor's answer is made of, so generated answers reach every state of a response.
WIRE_PIECES = st.sampled_from(
    [
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.0 401 Unauthorized\r\n",
        b"content-length: 2\r\n",
        b"content-length: 99999\r\n",
        b"transfer-encoding: chunked\r\n",
        b"content-encoding: gzip\r\n",
        b"connection: close\r\n",
        b"ratelimit-remaining: 5\r\n",
        b"x: \xff\xfe\r\n",
        b"\r\n",
        b"{}",
        b"2\r\n{}\r\n",
        b"0\r\n\r\n",
        b"ffffffffffffffffff\r\n",
    ]
)


@QUICK
@given(st.lists(st.one_of(WIRE_PIECES, st.binary(max_size=24)), max_size=10))
def test_any_bytes_on_the_wire_give_an_answer_or_a_failure_reason(pieces):
    """The probes' transport under exchange(): whatever the vendor writes (then closing
    the connection), the probe gets a response or a failure reason, never an exception."""

    async def go():
        async def answer(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = make_client(1)
        try:
            return await exchange(client, f"http://127.0.0.1:{port}/", {}, 2.0)
        finally:
            await client.aclose()
            server.close()

    ex = asyncio.run(go())
    if ex.response is None:
        assert ex.transport_reason in {"connection", "invalid_response", "too_large"}
        assert ex.transport_error
    else:
        assert 100 <= ex.response.status_code <= 999
        assert ex.response.content is not None
