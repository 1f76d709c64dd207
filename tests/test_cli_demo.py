"""The CLI as a user runs it: --config.check in its three modes, and the demo serving
every series, the simulated application's included."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from saas_tools.stack.processes import free_port

from tests.conftest import KEY_ENV, TEST_KEY

EXE = [sys.executable, "-m", "saas_exporter"]
REQUIRED_SERIES = [
    "saas_probe_success",
    "saas_probe_duration_seconds",
    "saas_probe_latency_seconds_bucket",
    "saas_probe_http_status_code",
    "saas_probe_failures_total",
    "saas_probe_failing",
    "saas_probe_last_success_timestamp_seconds",
    "saas_probe_last_run_timestamp_seconds",
    "saas_probe_interval_seconds",
    "saas_probe_runs_total",
    "saas_probe_skipped_total",
    "saas_ratelimit_limit",
    "saas_ratelimit_remaining",
    "saas_ratelimit_reset_seconds",
    "saas_retry_after_seconds",
    "saas_account_info",
    "saas_account_expected_info",
    "saas_api_revision_info",
    "saas_api_revision_retirement_timestamp_seconds",
    "saas_api_revision_deprecation_timestamp_seconds",
    "saas_statuspage_indicator",
    "saas_statuspage_component_status",
    "saas_statuspage_incidents",
    "saas_statuspage_incident_info",
    "saas_statuspage_active_maintenances",
    "saas_exporter_build_info",
]


def run_cli(*args, env=None):
    return subprocess.run(
        [*EXE, *args], capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})}
    )


def _key_file_config(tmp_path: Path, key: str | None) -> Path:
    """A config whose one key is in a file beside it (`key` None: no such file yet)."""
    if key is not None:
        (tmp_path / "klaviyo.key").write_text(key + "\n")
    path = tmp_path / "c.yml"
    path.write_text(
        "vendors:\n  - name: klaviyo\n    kind: klaviyo\n    accounts:\n"
        "      - name: main\n        api_key_file: klaviyo.key\n"
    )
    return path


def test_config_check_ok(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(
        f"vendors:\n  - name: klaviyo\n    kind: klaviyo\n    accounts:\n"
        f"      - name: main\n        api_key_env: {KEY_ENV}\n"
    )
    result = run_cli("--config.check", f"--config.file={path}", env={KEY_ENV: TEST_KEY})
    assert (result.returncode, result.stdout) == (0, f"{path}: OK (1 vendor, 1 account)\n")


def test_config_check_structure_reads_no_key(tmp_path):
    path = _key_file_config(tmp_path, key=None)
    result = run_cli("--config.check=structure", f"--config.file={path}")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{path}: structure and budget OK (1 vendor, 1 account; keys not read)\n",
        "",
    )
    # The same file, all checks: the key file is missing.
    result = run_cli("--config.check", f"--config.file={path}")
    assert result.returncode == 2
    assert f"cannot read {tmp_path / 'klaviyo.key'}" in result.stderr


def test_config_check_structure_still_refuses_a_budget_overrun(tmp_path):
    path = _key_file_config(tmp_path, key=None)
    path.write_text(
        path.read_text().replace(
            "kind: klaviyo\n", "kind: klaviyo\n    intervals: {accounts: 5s}\n"
        )
    )
    result = run_cli("--config.check=structure", f"--config.file={path}")
    assert result.returncode == 2
    assert "vendors[0].intervals.accounts: every 5s is 12.00 calls/min" in result.stderr


def test_config_check_keys_reads_and_shape_checks_each_key(tmp_path):
    path = _key_file_config(tmp_path, key=TEST_KEY)
    result = run_cli("--config.check=keys", f"--config.file={path}")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{path}: keys OK (1 key read: 1 file, 0 environment variables)\n",
        "",
    )
    # A Klaviyo public key (site id) in the file: refused, without echoing it.
    (tmp_path / "klaviyo.key").write_text("AbC123\n")
    result = run_cli("--config.check=keys", f"--config.file={path}")
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"saas-exporter: invalid config {path}:\n  vendors[0].accounts[0].api_key_file: "
    )
    assert "AbC123" not in result.stderr


def test_bad_config_is_refused_at_start_with_paths(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(
        "vendors:\n  - name: klaviyo\n    kind: klaviyo\n    intervals: {accounts: 5s}\n"
        "    accounts:\n      - name: main\n        api_key: pk_inline_secret_123456\n"
    )
    for args in (["--config.check"], []):
        result = run_cli(*args, f"--config.file={path}", "--web.listen-address=127.0.0.1:0")
        assert result.returncode == 2
        assert result.stderr == (
            f"saas-exporter: invalid config {path}:\n"
            "  vendors[0].accounts[0].api_key: inline API keys are refused (configs end up in "
            "repositories, tickets and bundles); put the key in a file (api_key_file) or an "
            "environment variable (api_key_env)\n"
        )
        assert "pk_inline_secret" not in result.stderr + result.stdout


def test_bad_listen_address():
    result = run_cli("--web.listen-address=nowhere")
    assert (result.returncode, result.stderr) == (
        2,
        "saas-exporter: --web.listen-address: expected [host]:port, got 'nowhere'\n",
    )


def wait_ready(url: str, proc: subprocess.Popen, limit: float = 60.0) -> None:
    # Polling a child process's readiness endpoint: no in-process trigger exists here.
    # /-/ready waits for the first probe round, spread over the start-up window (10 s by
    # default), so the deadline is a generous bound, not a timing assertion.
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"demo did not become ready within {limit:g} s")


@pytest.fixture(scope="module")
def demo_run():
    """`saas-exporter demo` on free ports: its banner, the exporter's and the app's
    metrics."""
    port, simulator, app = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [
            *EXE,
            "demo",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--simulator.listen-address=127.0.0.1:{simulator}",
            f"--app.listen-address=127.0.0.1:{app}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        banner = [proc.stdout.readline() for _ in range(5)]
        app_text = httpx.get(f"http://127.0.0.1:{app}/metrics").text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(10)
    assert code == 0
    return {"metrics": text, "banner": banner, "app": app_text, "ports": (port, simulator, app)}


@pytest.fixture(scope="module")
def demo_metrics(demo_run):
    return demo_run["metrics"]


def test_demo_prints_where_each_piece_listens(demo_run):
    port, simulator, app = demo_run["ports"]
    assert demo_run["banner"] == [
        f"demo: exporter on http://127.0.0.1:{port}/metrics, simulator on "
        f"http://127.0.0.1:{simulator}, application on http://127.0.0.1:{app}; Ctrl-C stops it.\n",
        f"  exporter    http://127.0.0.1:{port}/            landing page: every vendor and "
        "account at a glance\n",
        f"              http://127.0.0.1:{port}/metrics     http://127.0.0.1:{port}/health\n",
        f"  simulator   http://127.0.0.1:{simulator}/-/scenario  Klaviyo, Clay and Acme, now in "
        "'minor_incident'\n",
        f"  application http://127.0.0.1:{app}/metrics     its in-app series; Klaviyo webhooks "
        "at /webhooks/klaviyo\n",
    ]


def test_demo_application_serves_in_app_series(demo_run):
    names = {line.split("{")[0] for line in demo_run["app"].splitlines() if line[:1] != "#"}
    assert {
        "saas_api_requests_total",
        "saas_api_request_duration_seconds_bucket",
        "saas_webhook_verifications_total",
    } <= names


def test_a_taken_port_is_named_and_exits_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli(
            "demo",
            f"--simulator.listen-address=127.0.0.1:{port}",
            f"--web.listen-address=127.0.0.1:{free_port()}",
            f"--app.listen-address=127.0.0.1:{free_port()}",
        )
    assert (result.returncode, result.stderr) == (
        1,
        f"saas-exporter demo: cannot listen on 127.0.0.1:{port} (simulator): "
        "Address already in use\n",
    )


def test_demo_print_config_is_a_config_the_exporter_accepts(tmp_path):
    result = run_cli("demo", "--print-config", "--simulator.listen-address=127.0.0.1:9999")
    assert result.returncode == 0
    path = tmp_path / "demo.yml"
    path.write_text(result.stdout)
    data = yaml.safe_load(result.stdout)
    assert [v["api_url"] for v in data["vendors"]] == [
        "http://127.0.0.1:9999",
        "http://127.0.0.1:9999/clay/public/v0",
        "http://127.0.0.1:9999/acme",
    ]
    # Its keys are the demo's, from the environment, as its header says.
    exports = result.stdout.splitlines()[2].removeprefix("#   export ").split()
    env = dict(item.split("=", 1) for item in exports)
    checked = run_cli("--config.check", f"--config.file={path}", env=env)
    assert (checked.returncode, checked.stdout) == (0, f"{path}: OK (3 vendors, 3 accounts)\n")


def test_demo_serves_every_series(demo_metrics):
    names = {
        line.split("{")[0].split(" ")[0]
        for line in demo_metrics.splitlines()
        if not line.startswith("#")
    }
    assert [name for name in REQUIRED_SERIES if name not in names] == []


def test_promtool_check_metrics_reports_nothing_on_the_demo(demo_metrics):
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=demo_metrics,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
