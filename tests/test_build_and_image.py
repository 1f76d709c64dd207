"""Build information (--version matches saas_exporter_build_info), the image's HEALTHCHECK
following the configured port and TLS, and the Dockerfile's labels (no Docker engine
here: the Dockerfile is read, and its build.json step run by bash)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from saas_tools.stack.processes import free_port

from saas_exporter import __version__, buildinfo
from saas_exporter.cli import main
from saas_exporter.collector import SaasCollector
from saas_exporter.demo import demo_config
from saas_exporter.probes import targets_for
from saas_exporter.state import ResultStore
from saas_exporter.web.healthcheck import flag_value, healthy_url
from tests.pki import CA

DOCKERFILE = (Path(__file__).parent.parent / "Dockerfile").read_text()


def dockerfile_build_json(tmp_path: Path, revision: str, date: str) -> Path:
    """Run the Dockerfile's own printf line that writes build.json."""
    match = re.search(r"RUN (printf .*?)\s*\\\n\s*> exporter/saas_exporter/build.json", DOCKERFILE)
    assert match, "the Dockerfile writes build.json with printf"
    out = tmp_path / "build.json"
    subprocess.run(
        ["bash", "-c", f"{match[1]} > {out}"],
        env={"REVISION": revision, "BUILD_DATE": date, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return out


@pytest.fixture
def built(tmp_path, monkeypatch):
    path = dockerfile_build_json(tmp_path, "0123abcd4567", "2026-11-30T10:00:00Z")
    monkeypatch.setattr(buildinfo, "BUILD_FILE", path)
    buildinfo.build_info.cache_clear()
    yield
    buildinfo.build_info.cache_clear()


def test_version_matches_build_info(built, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        f"saas-exporter, version {__version__} (revision: 0123abcd4567)",
        "  build date:       2026-11-30T10:00:00Z",
    ]
    config = demo_config("http://sim.test")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SaasCollector(config, ResultStore(targets_for(config))))
    assert (
        f'saas_exporter_build_info{{build_date="2026-11-30T10:00:00Z",revision="0123abcd4567",'
        f'version="{__version__}"}} 1.0'
    ) in generate_latest(registry).decode()


def test_a_checkout_reports_its_git_revision(tmp_path, monkeypatch):
    monkeypatch.setattr(buildinfo, "BUILD_FILE", tmp_path / "absent.json")
    buildinfo.build_info.cache_clear()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        info = buildinfo.build_info()
        assert (info.revision, info.build_date) == (head or "unknown", "unknown")
    finally:
        buildinfo.build_info.cache_clear()


def test_dockerfile_labels_entrypoint_and_healthcheck():
    assert f"ARG VERSION={__version__}\n" in DOCKERFILE
    labels = dict(re.findall(r"(org\.opencontainers\.image\.[a-z.]+)=\"([^\"]*)\"", DOCKERFILE))
    assert labels["org.opencontainers.image.version"] == "$VERSION"
    assert labels["org.opencontainers.image.revision"] == "$REVISION"
    assert labels["org.opencontainers.image.created"] == "$BUILD_DATE"
    assert labels["org.opencontainers.image.title"] == "saas-exporter"
    assert 'ENTRYPOINT ["saas-exporter"]' in DOCKERFILE
    assert "USER 65534" in DOCKERFILE
    healthcheck = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :].split("\n", 2)[:2]
    assert healthcheck[1].strip() == 'CMD ["saas-exporter", "healthcheck"]'
    assert "9879" not in "".join(healthcheck)


def test_healthcheck_reads_the_address_and_scheme_from_the_command_line():
    argv = ["python", "saas-exporter", "--config.file=/c.yml", "--web.listen-address", ":9100"]
    assert flag_value(argv, "--web.listen-address") == ":9100"
    assert flag_value(argv, "--web.config.file") is None
    assert healthy_url(":9100", tls=False) == "http://127.0.0.1:9100/-/healthy"
    assert healthy_url("[::1]:9100", tls=True) == "https://[::1]:9100/-/healthy"


def test_healthcheck_follows_a_running_exporter_on_its_own_port_with_tls(tmp_path):
    ca = CA(tmp_path, "ca")
    server = ca.server()
    web = tmp_path / "web.yml"
    web.write_text(
        yaml.safe_dump(
            {"tls_server_config": {"cert_file": str(server.cert), "key_file": str(server.key)}}
        )
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            "--demo",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.config.file={web}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    check = [sys.executable, "-m", "saas_exporter", "healthcheck", f"--pid={proc.pid}"]
    try:
        assert proc.stdout.readline().startswith("demo: exporter on https://")
        ok = subprocess.run(check, capture_output=True, text=True, timeout=30)
        assert (ok.returncode, ok.stdout) == (
            0,
            f"healthy: https://127.0.0.1:{port}/-/healthy: 200\n",
        )
    finally:
        proc.terminate()
        proc.wait(15)
    gone = subprocess.run(
        [*check, f"--web.listen-address=127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert gone.returncode == 1
    assert gone.stdout.startswith(f"unhealthy: http://127.0.0.1:{port}/-/healthy: ")
