"""The wheel, installed alone in a fresh virtualenv with the runtime dependencies only
(requirements.lock), runs `saas-exporter --demo`; its package data is inside it.

The runtime dependencies' wheels are fetched once per lock into pytest's cache
(.pytest_cache), so later runs install them with --no-index.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from saas_tools.stack.processes import Server, free_port, start_process

from tests.conftest import REPO
from tests.test_installed import IMPORT_EVERY_RUNTIME_MODULE, SDK_MISSING

LOCK = REPO / "requirements.lock"
PACKAGES = REPO / "exporter"


def pip(*args: str | Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run(argv: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def runtime_wheelhouse(cache: pytest.Cache) -> Path:
    """Wheels of every pinned runtime dependency, fetched once per lock file."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]
    wheelhouse = cache.mkdir(f"runtime-wheels-{digest}")
    complete = wheelhouse / "complete"
    if not complete.exists():
        pip("wheel", "-r", LOCK, "-w", wheelhouse)
        complete.touch()
    return wheelhouse


def data_files() -> set[str]:
    """Every file of the packages that is not Python source: the wheel must carry it."""
    return {
        path.relative_to(PACKAGES).as_posix()
        for path in PACKAGES.rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc"}
        and "__pycache__" not in path.parts
        and not any(part.endswith(".egg-info") for part in path.parts)
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory, request) -> tuple[Path, Path]:
    """(the wheel, the fresh virtualenv it is installed in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build leaves build/ behind, whose stale files
    # would end up in later wheels.
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        PACKAGES, source / "exporter", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    # The build backend pyproject.toml names, called as pip would (without its overhead).
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    built = run([sys.executable, "-c", build, tmp / "dist"], source)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("saas_exporter-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    wheelhouse = runtime_wheelhouse(request.config.cache)
    pip("--python", python, "install", "--no-index", "--find-links", wheelhouse, "-r", LOCK)
    pip("--python", python, "install", "--no-index", "--no-deps", wheel)
    return wheel, venv


def test_the_wheel_carries_every_data_file(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = data_files()
    assert "saas_exporter/schemas/config.schema.json" in wanted
    assert sorted(wanted - names) == []


def test_the_installed_demo_serves_metrics_and_health(installed, tmp_path):
    _, venv = installed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [str(venv / "bin" / "saas-exporter"), "--demo", f"--web.listen-address=127.0.0.1:{port}"]
    demo: Server = start_process("saas-exporter-demo", argv, url, tmp_path)
    try:
        metrics = httpx.get(f"{url}/metrics", timeout=5)
        health = httpx.get(f"{url}/health", timeout=5)
    finally:
        demo.stop()  # SIGTERM to the PID started above
    assert demo.process.returncode == 0, demo.log_text()
    assert metrics.status_code == 200
    series = {line.split("{")[0].split(" ")[0] for line in metrics.text.splitlines()}
    assert {"saas_probe_success", "saas_exporter_build_info", "saas_statuspage_indicator"} <= (
        series
    )
    assert 'saas_probe_success{account="main",probe="accounts",vendor="klaviyo"}' in metrics.text
    assert health.status_code == 200
    assert set(json.loads(health.text)["services"]) == {"klaviyo", "clay", "acme"}


def test_the_installed_runtime_needs_no_pack_tool_or_dev_package(installed, tmp_path):
    _, venv = installed
    result = run([venv / "bin" / "python", "-c", IMPORT_EVERY_RUNTIME_MODULE], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


def test_the_installed_pack_and_drill_say_what_they_miss(installed, tmp_path):
    _, venv = installed
    python = venv / "bin" / "python"
    pack = run([python, "-m", "saas_pack", "check"], tmp_path)
    assert (pack.returncode, pack.stdout, pack.stderr) == (2, "", SDK_MISSING)
    drill = run([python, "-m", "saas_tools.drill"], tmp_path)
    assert (drill.returncode, drill.stdout) == (2, "")
    assert drill.stderr == (
        f"python -m saas_tools.drill: no saas-exporter checkout here ({tmp_path}) to read "
        "rules/*.rules.yaml and alertmanager/alertmanager.yml from: run from a checkout or "
        "pass --repo DIR\n"
    )
