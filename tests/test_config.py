import os
import stat
from pathlib import Path

import pytest
import yaml

from saas_exporter.config import ConfigError, ResponseLimits, load_config, load_config_data
from saas_exporter.redaction import redact
from tests.conftest import KEY_ENV, TEST_KEY, config_problems

ENV = {KEY_ENV: TEST_KEY}


def vendor(**overrides):
    base = {
        "name": "klaviyo",
        "kind": "klaviyo",
        "accounts": [{"name": "main", "api_key_env": KEY_ENV}],
    }
    base.update(overrides)
    return base


def problems(data, env=ENV):
    return config_problems(data, env)


def test_defaults_keep_every_probe_under_one_percent_of_its_limit():
    config = load_config_data({"vendors": [vendor()]}, ENV)
    v = config.vendors[0]
    assert v.api_url == "https://a.klaviyo.com"
    assert v.statuspage_url == "https://status.klaviyo.com"
    assert v.revision == "2026-07-15"
    assert dict(v.intervals) == {"accounts": 600.0, "profiles": 30.0, "statuspage": 60.0}
    assert (60 / v.intervals["accounts"]) / 15 < 0.01
    assert (60 / v.intervals["profiles"]) / 700 < 0.01
    assert v.timeout_seconds == 10.0
    assert v.accounts[0].api_key == TEST_KEY
    assert v.accounts[0].key_source == f"environment variable {KEY_ENV}"
    assert TEST_KEY not in repr(config)


def test_example_config_is_valid(tmp_path):
    key = tmp_path / "key"
    key.write_text(TEST_KEY + "\n")
    text = (
        Path("examples/saas-exporter.yml")
        .read_text()
        .replace("/run/secrets/klaviyo-private-key", str(key))
    )
    path = tmp_path / "config.yml"
    path.write_text(text)
    config = load_config(path, env={})
    assert config.vendors[0].accounts[0].expected_account_id == "WBhXHN"
    assert config.vendors[0].accounts[0].api_key == TEST_KEY
    assert config.max_concurrency == 32


def test_several_accounts_and_relative_key_file(tmp_path):
    (tmp_path / "second.key").write_text("pk_second_000000000000000000")
    path = tmp_path / "c.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "vendors": [
                    vendor(
                        accounts=[
                            {"name": "main", "api_key_env": KEY_ENV},
                            {"name": "eu-store", "api_key_file": "second.key"},
                        ]
                    )
                ]
            }
        )
    )
    config = load_config(path, env=ENV)
    assert [a.name for a in config.vendors[0].accounts] == ["main", "eu-store"]
    assert config.vendors[0].accounts[1].api_key == "pk_second_000000000000000000"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ["(top level): 'vendors' is a required property"]),
        ({"vendors": []}, ["vendors: expected a non-empty list of vendors, got []"]),
        (
            {"vendors": [vendor(kind="mailchimp")]},
            ['vendors[0].kind: expected one of: klaviyo, clay, generic, got "mailchimp"'],
        ),
        (
            {"vendors": [vendor(name="Klaviyo Prod")]},
            [
                "vendors[0].name: expected a lower-case name of letters, digits, _ or - starting "
                'with a letter, got "Klaviyo Prod"'
            ],
        ),
        (
            {"vendors": [vendor(intervals={"profiles": "30 seconds"})]},
            [
                "vendors[0].intervals.profiles: expected a duration like 500ms, 30s, 1m30s, "
                '10m or 2h, got "30 seconds"'
            ],
        ),
        (
            {"vendors": [vendor(api_url="a.klaviyo.com")]},
            ['vendors[0].api_url: expected an http:// or https:// URL, got "a.klaviyo.com"'],
        ),
        (
            {"vendors": [vendor(revision="latest")]},
            ['vendors[0].revision: expected an API revision date like 2026-07-15, got "latest"'],
        ),
        (
            {"vendors": [vendor(color="blue")]},
            ["vendors[0]: Additional properties are not allowed ('color' was unexpected)"],
        ),
        (
            {"vendors": [vendor(accounts=[{"name": "main"}])]},
            [
                "vendors[0].accounts[0]: expected exactly one of api_key_file or api_key_env, "
                'got {"name": "main"}'
            ],
        ),
        (
            {
                "vendors": [
                    vendor(
                        accounts=[{"name": "main", "api_key_env": KEY_ENV, "api_key_file": "/k"}]
                    )
                ]
            },
            [
                "vendors[0].accounts[0]: expected exactly one of api_key_file or api_key_env, "
                f'got {{"name": "main", "api_key_env": "{KEY_ENV}", "api_key_file": "/k"}}'
            ],
        ),
    ],
)
def test_schema_mistakes_name_the_path_and_what_was_expected(data, expected):
    assert problems(data) == expected


def test_every_mistake_is_reported_at_once():
    found = problems({"vendors": [vendor(kind="x", intervals={"accounts": "fast"})]})
    assert found == [
        "vendors[0].intervals.accounts: expected a duration like 500ms, 30s, 1m30s, 10m "
        'or 2h, got "fast"',
        'vendors[0].kind: expected one of: klaviyo, clay, generic, got "x"',
    ]


def test_inline_key_is_refused_without_echoing_it():
    found = problems({"vendors": [vendor(accounts=[{"name": "main", "api_key": TEST_KEY}])]})
    assert found == [
        "vendors[0].accounts[0].api_key: inline API keys are refused (configs end up in "
        "repositories, tickets and bundles); put the key in a file (api_key_file) or an "
        "environment variable (api_key_env)"
    ]


def test_public_key_is_refused():
    found = problems({"vendors": [vendor()]}, env={KEY_ENV: "AbC123"})
    assert found == [
        "vendors[0].accounts[0].api_key_env: this is a 6-character public key (site id), which "
        "only works on client endpoints; the probes need a private API key starting with pk_ "
        f"(from environment variable {KEY_ENV})"
    ]


def test_key_of_the_wrong_shape_is_refused_without_echoing_it():
    found = problems({"vendors": [vendor()]}, env={KEY_ENV: "sk_live_secretvalue123"})
    assert found == [
        "vendors[0].accounts[0].api_key_env: expected a Klaviyo private API key starting with "
        f"pk_ (from environment variable {KEY_ENV})"
    ]
    assert "secretvalue" not in found[0]


def test_missing_env_and_unreadable_file(tmp_path):
    found = problems(
        {
            "vendors": [
                vendor(
                    accounts=[
                        {"name": "a", "api_key_env": "NOPE_NOT_SET"},
                        {"name": "b", "api_key_file": str(tmp_path / "missing.key")},
                    ]
                )
            ]
        },
        env={},
    )
    assert found == [
        "vendors[0].accounts[0].api_key_env: environment variable NOPE_NOT_SET is not set or "
        "empty; expected it to hold the API key",
        f"vendors[0].accounts[1].api_key_file: cannot read {tmp_path / 'missing.key'}: "
        "No such file or directory",
    ]


def test_empty_key_file(tmp_path):
    key = tmp_path / "empty.key"
    key.write_text("\n")
    found = problems({"vendors": [vendor(accounts=[{"name": "a", "api_key_file": str(key)}])]})
    assert found == [f"vendors[0].accounts[0].api_key_file: {key} is empty; expected an API key"]


def test_probe_budget_over_ten_percent_is_refused_with_endpoint_and_limit():
    found = problems({"vendors": [vendor(intervals={"accounts": "30s"})]})
    assert found == [
        "vendors[0].intervals.accounts: every 30s is 2.00 calls/min, 13.3% of the "
        "GET /api/accounts/ steady limit of 15/min per account; probes share the production "
        "app's budget, so more than 10% is refused: use at least 40s"
    ]


def test_budget_just_under_ten_percent_is_allowed():
    config = load_config_data(
        {
            "vendors": [
                vendor(
                    intervals={"accounts": "40s", "profiles": "1s"},
                    rate_limits_per_minute={"profiles": 6000},
                    timeout="500ms",
                )
            ]
        },
        ENV,
    )
    assert config.vendors[0].intervals["accounts"] == 40.0


def test_profiles_budget_uses_its_own_limit():
    found = problems(
        {
            "vendors": [
                vendor(
                    intervals={"profiles": "1s"},
                    rate_limits_per_minute={"profiles": 300},
                    timeout="500ms",
                )
            ]
        }
    )
    assert found == [
        "vendors[0].intervals.profiles: every 1s is 60.00 calls/min, 20.0% of the "
        "GET /api/profiles/ steady limit of 300/min per account; probes share the production "
        "app's budget, so more than 10% is refused: use at least 2s"
    ]


def test_timeout_must_be_shorter_than_intervals():
    found = problems({"vendors": [vendor(timeout="2m", intervals={"profiles": "60s"})]})
    assert found == [
        "vendors[0].timeout: 120s must be shorter than intervals.profiles (60s), or probes "
        "would overlap",
        "vendors[0].timeout: 120s must be shorter than intervals.statuspage (60s), or probes "
        "would overlap",
    ]


def test_duplicate_names():
    found = problems(
        {
            "vendors": [
                vendor(
                    accounts=[
                        {"name": "a", "api_key_env": KEY_ENV},
                        {"name": "a", "api_key_env": KEY_ENV},
                    ]
                ),
                vendor(),
            ]
        }
    )
    assert found == [
        "vendors[0].accounts[1].name: duplicate account name 'a'",
        "vendors[1].name: duplicate vendor name 'klaviyo'",
    ]


def test_statuspage_null_skips_the_statuspage_probe():
    config = load_config_data({"vendors": [vendor(statuspage_url=None)]}, ENV)
    assert "statuspage" not in config.vendors[0].intervals


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("vendors:\n  - name: klaviyo\n   kind: [\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == [
        f"{path}: not valid YAML at line 3, column 4: expected <block end>, but found "
        "'<block mapping start>'"
    ]


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nope.yml")
    assert err.value.problems == [
        f"{tmp_path / 'nope.yml'}: cannot read the config: No such file or directory"
    ]


def test_loaded_keys_are_redacted_everywhere(tmp_path):
    load_config_data({"vendors": [vendor()]}, ENV)
    assert redact(f"oops {TEST_KEY} leaked") == "oops <redacted> leaked"


def test_key_file_permissions_are_not_required_for_start(tmp_path):
    # World-readable key files are a preflight warning, not a start-up refusal.
    key = tmp_path / "k"
    key.write_text(TEST_KEY)
    os.chmod(key, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    config = load_config_data(
        {"vendors": [vendor(accounts=[{"name": "a", "api_key_file": str(key)}])]}, {}
    )
    assert config.vendors[0].accounts[0].api_key == TEST_KEY


def test_response_limits_have_sane_defaults_and_read_sizes():
    default = load_config_data({"vendors": [vendor()]}, ENV)
    assert default.limits == ResponseLimits()
    assert (default.limits.max_body_bytes, default.limits.max_header_bytes) == (1 << 20, 65536)
    glob = {
        "limits": {
            "max_body_bytes": "4MiB",
            "max_header_bytes": 32768,
            "max_components": 2000,
            "max_incidents": 20,
            "max_label_length": 128,
        }
    }
    config = load_config_data({"global": glob, "vendors": [vendor()]}, ENV)
    expected = ResponseLimits(4 << 20, 32768, 2000, 20, 128)
    assert config.limits == expected
    assert config.vendors[0].limits == expected


def test_limits_past_what_the_exporter_can_honour_are_refused():
    glob = {"limits": {"max_header_bytes": "1MiB", "max_body_bytes": "4GiB", "bogus": 1}}
    assert problems({"global": glob, "vendors": [vendor()]}) == [
        "global.limits: Additional properties are not allowed ('bogus' was unexpected)"
    ]
    del glob["limits"]["bogus"]
    assert problems({"global": glob, "vendors": [vendor()]}) == [
        "global.limits.max_header_bytes: 1MiB is over the most the exporter can honour (100 KiB)",
        "global.limits.max_body_bytes: 4GiB is over the most the exporter can honour (1048576 KiB)",
    ]
