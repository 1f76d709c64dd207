"""Good and bad config files as test data (tests/testdata/config), as blackbox_exporter
keeps them: every good file loads, every bad one is refused with exactly its problems
(the format is in tests/testdata/config/README.md)."""

import re
import shutil
from pathlib import Path

import pytest

from saas_exporter.config import ConfigError, load_config
from saas_exporter.config.limits import parse_size

TESTDATA = Path(__file__).parent / "testdata" / "config"
ENV = {
    "KLAVIYO_KEY": "pk_0123456789abcdef0123456789abcdef",
    "CLAY_KEY": "clay-0123456789",
    "ACME_KEY": "acme-0123456789",
    "PUBLIC_KEY": "AbC123",
    # Keys that cannot be sent in a header.
    "BOM_KEY": "\ufeffacme-0123456789",
    "CONTROL_KEY": "acme-01234\x0756789",
    "ACCENT_KEY": "acme-0123456789\u00e9",
}


@pytest.mark.parametrize("path", sorted((TESTDATA / "good").glob("*.yml")), ids=lambda p: p.name)
def test_good_configs_load(path):
    config = load_config(path, ENV)
    assert config.vendors


def directives(path: Path, name: str) -> list[str]:
    # Comment lines are ASCII even in a file that is not UTF-8 as a whole.
    text = path.read_bytes().decode("utf-8", "replace")
    prefix = f"# {name}: "
    return [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]


def prepared(path: Path, tmp_path: Path) -> Path:
    """The file as the test loads it: copied, and padded with comments to `pad-to`."""
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    for size in directives(path, "pad-to"):
        with copy.open("ab") as handle:
            handle.write(b"# padding\n" * (parse_size(size) // 10 + 1))
    return copy


@pytest.mark.parametrize("path", sorted((TESTDATA / "bad").glob("*.yml")), ids=lambda p: p.name)
def test_bad_configs_are_refused_with_each_mistake(path, tmp_path):
    loaded = prepared(path, tmp_path)
    expected = [line.replace("{file}", str(loaded)) for line in directives(path, "expect")]
    assert expected, f"{path.name} lists no '# expect:' line"
    with pytest.raises(ConfigError) as err:
        load_config(loaded, ENV)
    assert err.value.problems == expected
    # A credential in a bad config is named by its path, its value never repeated.
    for canary in re.findall(r"CANARY-[a-z]+-\d", loaded.read_bytes().decode("utf-8", "replace")):
        assert all(canary not in problem for problem in err.value.problems)


@pytest.mark.parametrize("path", sorted((TESTDATA / "bad").glob("*.yml")), ids=lambda p: p.name)
def test_config_check_exits_2_without_a_traceback(path, tmp_path, monkeypatch, capsys):
    from saas_exporter.cli import main

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    loaded = prepared(path, tmp_path)
    assert main(["--config.file", str(loaded), "--config.check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[1:] == [
        "  " + line.replace("{file}", str(loaded)) for line in directives(path, "expect")
    ]
