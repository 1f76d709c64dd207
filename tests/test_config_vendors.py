"""Config of the clay and generic kinds: defaults, the api section, path-named mistakes."""

from pathlib import Path

import pytest

from saas_exporter.config import load_config, load_config_data
from saas_exporter.redaction import redact
from tests.conftest import KEY_ENV, config_problems

CLAY_KEY = "clay_live_0a1b2c3d4e5f"
ENV = {KEY_ENV: CLAY_KEY}


def clay(**overrides):
    base = {
        "name": "clay",
        "kind": "clay",
        "api": {"path": "/sources"},
        "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
    }
    base.update(overrides)
    return base


def generic(**overrides):
    base = {
        "name": "shop",
        "kind": "generic",
        "api_url": "https://shop.example",
        "api": {"path": "/me", "auth_header": "x-api-key"},
        "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
    }
    base.update(overrides)
    return base


def problems(data, env=ENV):
    return config_problems(data, env)


def test_clay_defaults():
    v = load_config_data({"vendors": [clay()]}, ENV).vendors[0]
    assert (v.api_url, v.statuspage_url, v.revision) == (
        "https://api.clay.com/public/v0",
        "https://status.clay.com",
        None,
    )
    assert dict(v.intervals) == {"api": 120.0, "statuspage": 60.0}
    assert dict(v.rate_limits_per_minute) == {}  # Clay publishes none
    assert v.statuspage_format == "auto"
    assert (v.api.path, v.api.auth_header, v.api.expected_status) == (
        "/sources",
        "clay-api-key",
        (200,),
    )
    assert v.kind_spec.status_reasons == {402: "credits_exhausted"}
    assert v.accounts[0].api_key == CLAY_KEY


def test_generic_defaults_have_no_status_page():
    v = load_config_data({"vendors": [generic()]}, ENV).vendors[0]
    assert (v.api_url, v.statuspage_url) == ("https://shop.example", None)
    assert dict(v.intervals) == {"api": 120.0}


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        (
            clay(api=None),
            [
                "vendors[0].api: expected an api section like {path: /v1/me} (the authenticated "
                "GET to probe), got null"
            ],
        ),
        (
            {k: v for k, v in clay().items() if k != "api"},
            ["vendors[0]: 'api' is a required property"],
        ),
        (
            {k: v for k, v in generic().items() if k != "api_url"},
            ["vendors[0]: 'api_url' is a required property"],
        ),
        (generic(api={"path": "/me"}), ["vendors[0].api: 'auth_header' is a required property"]),
        (
            clay(api={"path": "sources"}),
            [
                "vendors[0].api.path: expected the path of a cheap authenticated GET, starting "
                'with /, e.g. /v1/me, got "sources"'
            ],
        ),
        (
            clay(intervals={"accounts": "60s"}),
            ['vendors[0].intervals: expected a clay probe name (api, statuspage), got "accounts"'],
        ),
        (
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api": {"path": "/x"},
                "intervals": {"api": "60s"},
                "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
            },
            [
                "vendors[0].api: expected no api section (the klaviyo probes are built in), "
                'got {"path": "/x"}',
                "vendors[0].intervals: expected a klaviyo probe name (accounts, profiles, "
                'statuspage), got "api"',
            ],
        ),
        (
            clay(revision="2026-07-15"),
            [
                "vendors[0].revision: expected no revision (a Klaviyo header); put other static "
                'headers in api.headers, got "2026-07-15"'
            ],
        ),
        (
            clay(statuspage_format="instatus"),
            [
                "vendors[0].statuspage_format: expected one of: auto (detect), atlassian, "
                'rootly, got "instatus"'
            ],
        ),
        (
            generic(api={"path": "/me", "auth_header": "x api key"}),
            [
                "vendors[0].api.auth_header: expected an HTTP header name like x-api-key, got "
                '"x api key"'
            ],
        ),
        (
            generic(api={"path": "/me", "auth_header": "x-api-key", "expected_status": 99}),
            [
                "vendors[0].api.expected_status: expected an HTTP status code or a list of "
                "them, e.g. 200 or [200, 204], got 99"
            ],
        ),
        (
            generic(
                api={"path": "/me", "auth_header": "x-api-key", "ratelimit_headers": {"left": "x"}}
            ),
            [
                "vendors[0].api.ratelimit_headers: Additional properties are not allowed "
                "('left' was unexpected)"
            ],
        ),
        (
            generic(api={"path": "/me", "auth_header": "x-api-key", "json_field": "data..id"}),
            [
                "vendors[0].api.json_field: expected a dotted JSON field path like data.id or "
                'shop.id (list items by index: data.0.id), got "data..id"'
            ],
        ),
        (
            clay(rate_limits_per_minute={"api": 0}),
            [
                "vendors[0].rate_limits_per_minute.api: expected a number of requests per "
                "minute above 0, got 0"
            ],
        ),
    ],
)
def test_mistakes_name_the_path_and_what_was_expected(vendor, expected):
    assert problems({"vendors": [vendor]}) == expected


def test_credentials_in_static_headers_are_refused_without_echoing_them():
    found = problems(
        {
            "vendors": [
                generic(
                    api={
                        "path": "/me",
                        "auth_header": "x-api-key",
                        "headers": {
                            "X-Api-Key": "sk_live_hunter2",
                            "Authorization": "Bearer t0k3n",
                        },
                    }
                )
            ]
        }
    )
    assert found == [
        "vendors[0].api.headers.X-Api-Key: credentials are refused here (configs end up in "
        "repositories, tickets and bundles); the key goes in api_key_file or api_key_env and is "
        "sent in api.auth_header (x-api-key)",
        "vendors[0].api.headers.Authorization: credentials are refused here (configs end up in "
        "repositories, tickets and bundles); the key goes in api_key_file or api_key_env and is "
        "sent in api.auth_header (x-api-key)",
    ]
    assert "hunter2" not in "\n".join(found) and "t0k3n" not in "\n".join(found)


def test_inline_clay_key_is_refused_without_echoing_it():
    found = problems(
        {"vendors": [clay(accounts=[{"name": "main", "api_key": "clay_inline_s3cret"}])]}
    )
    assert found == [
        "vendors[0].accounts[0].api_key: inline API keys are refused (configs end up in "
        "repositories, tickets and bundles); put the key in a file (api_key_file) or an "
        "environment variable (api_key_env)"
    ]


def test_clay_key_with_white_space_is_refused_without_echoing_it():
    found = problems({"vendors": [clay()]}, {KEY_ENV: "clay key 123"})
    assert found == [
        "vendors[0].accounts[0].api_key_env: the key contains white space; expected a single "
        f"token (from environment variable {KEY_ENV})"
    ]


def test_api_budget_is_checked_once_a_limit_is_configured():
    data = {
        "vendors": [
            clay(timeout="2s", intervals={"api": "20s"}, rate_limits_per_minute={"api": 60})
        ]
    }
    assert load_config_data(data, ENV).vendors[0].rate_limits_per_minute == {"api": 60}  # 5%


def test_api_budget_over_ten_percent_is_refused():
    data = {
        "vendors": [clay(timeout="2s", intervals={"api": "5s"}, rate_limits_per_minute={"api": 60})]
    }
    assert problems(data) == [
        "vendors[0].intervals.api: every 5s is 12.00 calls/min, 20.0% of the GET /sources steady "
        "limit of 60/min per account; probes share the production app's budget, so more than "
        "10% is refused: use at least 10s"
    ]


def test_without_a_limit_any_interval_is_allowed():
    v = load_config_data({"vendors": [clay(timeout="2s", intervals={"api": "5s"})]}, ENV).vendors[0]
    assert v.intervals["api"] == 5.0


def test_basic_auth_key_is_redacted_encoded_too():
    api = {
        "path": "/me",
        "auth_header": "Authorization",
        "auth_prefix": "Basic ",
        "auth_base64": True,
    }
    v = load_config_data({"vendors": [generic(api=api)]}, {KEY_ENV: "AC01:tok3n"}).vendors[0]
    encoded = v.api.auth_value("AC01:tok3n")
    assert encoded == "Basic QUMwMTp0b2szbg=="
    assert redact(f"sent {encoded}") == "sent Basic <redacted>"


def test_startup_spread_is_configurable():
    config = load_config_data({"global": {"startup_spread": "1m"}, "vendors": [clay()]}, ENV)
    assert config.startup_spread_seconds == 60.0
    assert load_config_data({"vendors": [clay()]}, ENV).startup_spread_seconds == 10.0


def test_vendors_example_is_valid(tmp_path):
    text = Path("examples/vendors.yml").read_text()
    for secret in ("clay-api-key", "twilio-basic"):
        (tmp_path / secret).write_text("AC01:tok3n\n" if secret == "twilio-basic" else CLAY_KEY)
        text = text.replace(f"/run/secrets/{secret}", str(tmp_path / secret))
    path = tmp_path / "vendors.yml"
    path.write_text(text)
    config = load_config(
        path,
        env={"KLAVIYO_PRIVATE_KEY": "pk_test_0123456789abcdef", "SHOPIFY_ADMIN_TOKEN": "shpat_abc"},
    )
    assert [(v.name, v.kind) for v in config.vendors] == [
        ("klaviyo", "klaviyo"),
        ("clay", "clay"),
        ("shopify", "generic"),
        ("twilio", "generic"),
    ]
    shopify = config.vendor("shopify")
    assert dict(shopify.api.ratelimit_headers) == {"used_of_limit": "x-shopify-shop-api-call-limit"}
    assert config.vendor("twilio").api.auth_value("AC01:tok3n") == "Basic QUMwMTp0b2szbg=="
