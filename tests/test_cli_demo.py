"""The CLI as a user runs it: --config.check, and --demo serving every series."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
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


def test_config_check_ok(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(
        f"vendors:\n  - name: klaviyo\n    kind: klaviyo\n    accounts:\n"
        f"      - name: main\n        api_key_env: {KEY_ENV}\n"
    )
    result = run_cli("--config.check", f"--config.file={path}", env={KEY_ENV: TEST_KEY})
    assert (result.returncode, result.stdout) == (0, f"{path}: OK (1 vendors, 1 accounts)\n")


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


def wait_ready(url: str, proc: subprocess.Popen, limit: float = 10.0) -> None:
    # Polling a child process's readiness endpoint: no in-process trigger exists here.
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("demo did not become ready within 10 s")


@pytest.fixture(scope="module")
def demo_metrics():
    port = free_port()
    proc = subprocess.Popen(
        [*EXE, "--demo", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        banner = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(10)
    assert code == 0
    assert banner.startswith(
        f"demo: exporter on http://127.0.0.1:{port}/metrics, simulator on http://127.0.0.1:"
    )
    return text


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
