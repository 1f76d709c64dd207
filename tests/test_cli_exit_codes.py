"""Every exit code the README documents for the exporter, `demo`, `simulate` and
`healthcheck`, one test each (the on-call commands': tests/test_oncall_*.py; `--config.check`
and a bad config: tests/test_cli_demo.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from saas_tools.stack import poll
from saas_tools.stack.processes import free_port

from saas_exporter.cli import main
from tests.conftest import KEY_ENV, TEST_KEY

EXE = [sys.executable, "-m", "saas_exporter"]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    """A valid config whose vendor is a closed port: the exporter runs, its probes fail."""
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    path = tmp_path / "saas-exporter.yml"
    path.write_text(
        "vendors:\n  - name: klaviyo\n    kind: klaviyo\n    api_url: http://127.0.0.1:9\n"
        f"    statuspage_url: null\n    accounts:\n      - name: main\n"
        f"        api_key_env: {KEY_ENV}\n"
    )
    return path


def stops_with_0_on_sigterm(argv: list[str], healthy_url: str, env: dict[str, str]) -> int:
    proc = subprocess.Popen(
        [*EXE, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    try:

        def serving() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                return httpx.get(healthy_url, timeout=1).status_code in (200, 404)
            except httpx.TransportError:
                return False

        poll(serving, 30, f"{healthy_url} to answer")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
    return code


def test_exporter_exits_0_on_sigterm(config):
    port = free_port()
    argv = [f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    env = {**os.environ, KEY_ENV: TEST_KEY}
    assert stops_with_0_on_sigterm(argv, f"http://127.0.0.1:{port}/-/healthy", env) == 0


def test_exporter_exits_1_when_it_cannot_listen(config, taken_port, capsys):
    argv = [f"--config.file={config}", f"--web.listen-address=127.0.0.1:{taken_port}"]
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        f"saas-exporter: cannot listen on 127.0.0.1:{taken_port}: Address already in use "
        f"(while attempting to bind on address ('127.0.0.1', {taken_port}))\n"
    )


def test_exporter_exits_2_on_a_bad_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--log.level=loud"])
    assert exit_info.value.code == 2
    assert "--log.level: invalid choice: 'loud'" in capsys.readouterr().err


def test_demo_exits_2_on_a_bad_address(capsys):
    assert main(["demo", "--app.listen-address=nowhere"]) == 2
    assert capsys.readouterr().err == (
        "saas-exporter demo: --app.listen-address: expected [host]:port, got 'nowhere'\n"
    )


def test_simulate_exits_0_on_sigterm():
    port = free_port()
    argv = ["simulate", f"--web.listen-address=127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}/-/scenario"
    assert stops_with_0_on_sigterm(argv, url, dict(os.environ)) == 0


def test_simulate_exits_1_when_it_cannot_listen(taken_port, capsys):
    assert main(["simulate", f"--web.listen-address=127.0.0.1:{taken_port}"]) == 1
    assert capsys.readouterr().err == (
        f"saas-exporter simulate: cannot listen on 127.0.0.1:{taken_port}: Address already in use\n"
    )


def test_simulate_exits_2_on_an_unknown_scenario(capsys):
    assert main(["simulate", "--scenario=sunny"]) == 2
    assert capsys.readouterr().err.startswith(
        "saas-exporter simulate: --scenario: expected one of healthy, auth_failure,"
    )


def test_healthcheck_exits_0_when_healthy_and_1_when_not(httpserver, capsys):
    httpserver.expect_request("/-/healthy").respond_with_data("OK\n")
    address = f"127.0.0.1:{httpserver.port}"
    assert main(["healthcheck", f"--web.listen-address={address}"]) == 0
    assert main(["healthcheck", f"--web.listen-address=127.0.0.1:{free_port()}"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"healthy: http://{address}/-/healthy: 200"
    assert out[1].startswith("unhealthy: ")
