"""preflight against the simulator: every check, every exit code, one request per endpoint."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from saas_exporter.cli import main
from saas_exporter.oncall import preflight
from tests.oncall_support import run_command, write_config

STATUS = "/status/klaviyo/api/v2/summary.json"
# The status-page probe also reads the page's announced maintenances.
MAINTENANCE_FEED = {
    "/status/klaviyo/api/v2/scheduled-maintenances/upcoming.json": 1,
    "/status/klaviyo/api/v2/scheduled-maintenances/active.json": 1,
}


def at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


NOW = at("2026-11-22T10:00:00")


def run(argv, clock=lambda: NOW):
    return run_command(preflight.run, argv, clock=clock)


def checks(out: str) -> dict[tuple[str, str], tuple[str, str]]:
    document = json.loads(out)
    return {(c["account"], c["check"]): (c["status"], c["detail"]) for c in document["checks"]}


@pytest.fixture
def config(tmp_path, simulator):
    return write_config(tmp_path, simulator.base_url)


def test_all_pass_exit_0_and_each_endpoint_called_once(config, simulator):
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 0
    document = json.loads(out)
    assert (document["status"], document["exit_code"]) == ("pass", 0)
    key_file = config.parent / "klaviyo.key"
    assert checks(out) == {
        ("", "config"): (
            "pass",
            f"{config}: valid; 1 vendor, 1 account, keys from files or the environment only",
        ),
        ("", "status page"): ("pass", "none: All Systems Operational"),
        ("", "revision"): ("pass", "2026-07-15: stable until 2027-07-15, retires on 2028-07-15"),
        ("main", "key source"): ("pass", f"{key_file} (mode 0600)"),
        ("main", "authentication"): ("pass", "account DEMO01 (as expected)"),
        ("main", "scopes"): ("pass", "granted: accounts:read, profiles:read"),
        ("main", "rate-limit headroom"): ("pass", "74 of 75 left in the per-second window"),
    }
    assert simulator.request_counts() == {
        "/api/accounts/": 1,
        "/api/profiles/": 1,
        STATUS: 1,
        **MAINTENANCE_FEED,
    }


def test_text_output(config):
    code, out, _ = run(["--config.file", str(config)])
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == (
        "PASS  klaviyo              status page          none: All Systems Operational"
    )
    assert lines[5] == (
        "PASS  klaviyo/main         scopes               granted: accounts:read, profiles:read"
    )
    assert lines[-1] == ("preflight: all checks passed (7 passed, 0 warnings, 0 failed; exit 0)")
    assert "\033[" not in out


@pytest.mark.parametrize(
    ("scenario", "check", "expected", "code"),
    [
        (
            "forbidden",
            "scopes",
            (
                "fail",
                "missing accounts:read (403 on the accounts probe: 403: This API key is "
                "missing required scopes.); profiles:read (403 on the profiles probe: 403: "
                "This API key is missing required scopes.)",
            ),
            1,
        ),
        (
            "auth_failure",
            "authentication",
            ("fail", "auth: 401: Incorrect authentication credentials."),
            1,
        ),
        (
            "cloudflare_challenge",
            "authentication",
            (
                "fail",
                "cloudflare_challenge: 403: Cloudflare challenge page (cf-mitigated: challenge)",
            ),
            1,
        ),
        (
            "low_headroom",
            "rate-limit headroom",
            (
                "warn",
                "2 of 75 left in the per-second window (below 10%): something else is "
                "spending the budget",
            ),
            3,
        ),
        ("rate_limited", "rate-limit headroom", ("fail", "none left (429, Retry-After 30s)"), 1),
        (
            "outage_5xx",
            "authentication",
            ("fail", "server_error: 500: A server error occurred."),
            1,
        ),
    ],
)
def test_api_checks(config, simulator, scenario, check, expected, code):
    simulator.set_scenario("klaviyo", scenario)
    got, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert got == code
    assert checks(out)[("main", check)] == expected


@pytest.mark.parametrize(
    ("scenario", "expected", "code"),
    [
        (
            "minor_incident",
            (
                "warn",
                "minor: Minor Service Outage; Delayed signup form submissions "
                "(minor, investigating)",
            ),
            3,
        ),
        ("maintenance", ("warn", "maintenance: Service Under Maintenance"), 3),
        (
            "statuspage_down",
            (
                "warn",
                "cannot be read (server_error: 503: HTML page instead of JSON): check it by hand",
            ),
            3,
        ),
    ],
)
def test_status_page(config, simulator, scenario, expected, code):
    simulator.set_scenario("klaviyo", scenario)
    got, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert (got, checks(out)[("", "status page")]) == (code, expected)


def test_major_incident_fails(config, simulator):
    simulator.set_scenario("klaviyo", "vendor_incident")
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 1
    assert checks(out)[("", "status page")] == (
        "fail",
        "major: Partial System Outage; Elevated error rates on the Klaviyo API (major, identified)",
    )


def test_wrong_account_fails(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url, account={"expected_account_id": "OTHER1"})
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 1
    assert checks(out)[("main", "authentication")] == (
        "fail",
        "account_mismatch: the key answers for account DEMO01, expected OTHER1",
    )


def test_no_expected_account_warns(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url, expected_account_id=None)
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 3
    assert checks(out)[("main", "authentication")] == (
        "warn",
        "account DEMO01; set expected_account_id to catch a key from the wrong account",
    )


@pytest.mark.parametrize(
    ("day", "expected", "code"),
    [
        (
            "2027-07-15T00:00:00",
            ("warn", "2026-07-15: deprecated since 2027-07-15, retires on 2028-07-15"),
            3,
        ),
        (
            "2028-07-15T00:00:00",
            ("fail", "2026-07-15: retired on 2028-07-15: move to a current revision"),
            1,
        ),
    ],
)
def test_revision_lifecycle(config, day, expected, code):
    got, out, _ = run(["--config.file", str(config), "--output", "json"], clock=lambda: at(day))
    assert (got, checks(out)[("", "revision")]) == (code, expected)


@pytest.mark.parametrize(
    ("mode", "expected", "code"),
    [
        (0o644, "warn", 3),
        (0o666, "fail", 1),
        (0o640, "pass", 0),
    ],
)
def test_key_file_permissions(tmp_path, simulator, mode, expected, code):
    config = write_config(tmp_path, simulator.base_url, key_mode=mode)
    got, out, _ = run(["--config.file", str(config), "--output", "json"])
    status, detail = checks(out)[("main", "key source")]
    assert (got, status) == (code, expected)
    assert detail.startswith(f"{tmp_path / 'klaviyo.key'} ")
    assert f"(mode {mode:04o})" in detail


def test_key_from_environment_passes(tmp_path, simulator, monkeypatch):
    config = write_config(tmp_path, simulator.base_url)
    config.write_text(
        config.read_text().replace("api_key_file: klaviyo.key", "api_key_env: ONCALL_TEST_KEY")
    )
    monkeypatch.setenv("ONCALL_TEST_KEY", "pk_sim_DEMO01")
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 0
    assert checks(out)[("main", "key source")] == (
        "pass",
        "key from environment variable ONCALL_TEST_KEY",
    )


def test_invalid_config_is_a_failed_check(tmp_path, simulator):
    config = write_config(tmp_path, simulator.base_url)
    config.write_text(
        config.read_text().replace("api_key_file: klaviyo.key", "api_key: pk_inline_1234567890")
    )
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 1
    assert json.loads(out)["checks"] == [
        {
            "vendor": "",
            "account": "",
            "check": "config",
            "status": "fail",
            "detail": "vendors[0].accounts[0].api_key: inline API keys are refused (configs end "
            "up in repositories, tickets and bundles); put the key in a file (api_key_file) or "
            "an environment variable (api_key_env)",
        }
    ]
    assert "pk_inline" not in out
    assert simulator.request_counts() == {}


def test_usage_errors_exit_2(config):
    code, _, err = run(["--config.file", str(config), "--vendor", "clay"])
    assert code == 2
    assert err == (
        "saas-exporter preflight: --vendor: no vendor named 'clay' in the config "
        "(configured: klaviyo)\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        run(["--config.file", str(config), "--output", "yaml"])
    assert exit_info.value.code == 2


def test_vendor_flag_and_cli_dispatch(config, capsys):
    code = main(["preflight", "--config.file", str(config), "--vendor", "klaviyo"])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "preflight: all checks passed (7 passed, 0 warnings, 0 failed; exit 0)"
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(config, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    assert preflight.run(["--config.file", str(config)], out=out, clock=lambda: NOW) == 0
    assert out.getvalue().startswith("\033[32mPASS\033[0m  config")
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    preflight.run(["--config.file", str(config)], out=out, clock=lambda: NOW)
    assert "\033[" not in out.getvalue()


def test_unreachable_vendor_fails(tmp_path):
    dead = "http://127.0.0.1:9"  # discard port: nothing listens on loopback
    config = write_config(tmp_path, dead)
    code, out, _ = run(["--config.file", str(config), "--output", "json"])
    assert code == 1
    status, detail = checks(out)[("main", "authentication")]
    assert (status, detail.split(":")[0]) == ("fail", "connection")
