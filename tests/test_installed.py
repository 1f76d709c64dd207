"""What the installed pieces do without the checkout's extras: the runtime imports none
of the pack, the tools or the dev dependencies; the pack's command line says what it
misses in one line; the pack renders any table into any directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import saas_tools.checkout
from saas_pack.__main__ import main as pack_main

from tests.conftest import REPO

# Every runtime module imported, then which of these top-level packages got loaded.
NOT_RUNTIME = ("saas_pack", "saas_tools", "grafana_foundation_sdk", "pytest", "_pytest",
               "pytest_httpserver", "werkzeug", "ruff", "hypothesis")  # fmt: skip
IMPORT_EVERY_RUNTIME_MODULE = f"""
import importlib, pkgutil, sys
import saas_exporter
for module in pkgutil.walk_packages(saas_exporter.__path__, "saas_exporter."):
    if not module.name.endswith(".__main__"):  # runs the CLI when imported
        importlib.import_module(module.name)
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({NOT_RUNTIME!r})))
"""
SDK_MISSING = (
    "python -m saas_pack: the rule pack needs grafana-foundation-sdk, which is not "
    "installed: pip install 'saas-exporter[pack]'\n"
)


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_the_runtime_imports_no_pack_tool_or_dev_package(tmp_path):
    result = run_python(IMPORT_EVERY_RUNTIME_MODULE, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "[]\n"


def test_the_pack_without_its_sdk_says_which_extra_to_install(tmp_path):
    # As installed without the `pack` extra: importing the SDK fails.
    code = (
        "import sys; sys.modules['grafana_foundation_sdk'] = None\n"
        "from saas_pack.__main__ import main; sys.exit(main(['check']))"
    )
    result = run_python(code, REPO)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", SDK_MISSING)


def test_the_pack_renders_a_table_from_anywhere_into_any_directory(tmp_path, capsys):
    table_dir = tmp_path / "mine"
    table_dir.mkdir()
    for name in ("thresholds.yaml", "thresholds.schema.json"):
        shutil.copy(REPO / "rules" / name, table_dir / name)
    out = tmp_path / "out"
    argv = ["--table", str(table_dir / "thresholds.yaml"), "--root", str(out)]
    assert pack_main(["generate", *argv]) == 0
    assert pack_main(["check", *argv]) == 0
    rendered = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    in_checkout = sorted(
        p.relative_to(REPO).as_posix()
        for pattern in ("rules/*.rules.yaml", "dashboards/*.json", "docs/runbooks/**/*.md",
                        "promtool-tests/generated-*.yaml",
                        "deploy/kubernetes/saas-exporter-prometheusrule.yaml")
        for p in REPO.glob(pattern)
    )  # fmt: skip
    assert rendered == in_checkout
    for path in rendered:
        assert (out / path).read_text() == (REPO / path).read_text(), path


@pytest.fixture
def no_checkout(tmp_path, monkeypatch) -> Path:
    """Run where an installed wheel runs: no checkout here, none beside the code."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(saas_tools.checkout, "_SOURCE_ROOT", tmp_path)
    return tmp_path


def test_the_pack_outside_a_checkout_asks_for_its_paths(no_checkout, capsys):
    assert pack_main(["check"]) == 2
    assert capsys.readouterr().err == (
        f"python -m saas_pack: no checkout here ({no_checkout}) with rules/thresholds.yaml: "
        "run from a checkout or pass --root DIR (and --table FILE)\n"
    )
    assert pack_main(["check", "--root", str(no_checkout)]) == 2
    assert capsys.readouterr().err == (
        "python -m saas_pack: rules/thresholds.yaml: No such file or directory\n"
    )


def test_the_drill_outside_a_checkout_asks_for_the_repo(no_checkout):
    with pytest.raises(saas_tools.checkout.CheckoutNotFound) as error:
        saas_tools.checkout.find_checkout()
    assert str(error.value) == (
        f"no saas-exporter checkout here ({no_checkout}) to read rules/*.rules.yaml and "
        "alertmanager/alertmanager.yml from: run from a checkout or pass --repo DIR"
    )
