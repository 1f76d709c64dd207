"""accounts_dir: one file per client merged into the config; a bad file is refused with
its path while the others run (at a reload, its last good version keeps running);
duplicate names and keys are checked across files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from saas_exporter.config import ConfigError, load_config
from saas_exporter.config.accounts_dir import AccountFiles
from saas_exporter.config_check import check_config
from saas_exporter.runtime import ExporterRuntime
from tests.live_exporter import samples, value

KEYS = {
    "MAIN": "pk_" + "0" * 34,
    "ACME": "pk_" + "1" * 34,
    "BETA": "pk_" + "2" * 34,
    "CLAY_ACME": "clay_" + "3" * 32,
}


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def setup(tmp_path: Path, api_url: str = "https://a.example.com") -> Path:
    config = {
        "accounts_dir": "accounts.d",
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": api_url,
                "statuspage_url": None,
                "intervals": {"accounts": "1h", "profiles": "1h"},
                "accounts": [{"name": "main", "api_key_env": "MAIN"}],
            },
            {
                "name": "clay",
                "kind": "clay",
                "api_url": api_url,
                "statuspage_url": None,
                "intervals": {"api": "1h"},
                "api": {"path": "/me"},
                "accounts": [],
            },
        ],
    }
    write(tmp_path / "accounts.d/keys/beta", KEYS["BETA"] + "\n")
    write(
        tmp_path / "accounts.d/acme.yml",
        {
            "accounts": [
                {"vendor": "klaviyo", "name": "acme", "api_key_env": "ACME"},
                {"vendor": "clay", "name": "acme", "api_key_env": "CLAY_ACME"},
            ]
        },
    )
    write(
        tmp_path / "accounts.d/beta.yaml",
        {"accounts": [{"vendor": "klaviyo", "name": "beta", "api_key_file": "keys/beta"}]},
    )
    return write(tmp_path / "config.yml", config)


def accounts(config) -> dict[str, list[str]]:
    return {v.name: [a.name for a in v.accounts] for v in config.vendors}


def test_files_are_merged_into_the_config(tmp_path):
    files = AccountFiles()
    config = load_config(setup(tmp_path), env=KEYS, files=files)
    assert accounts(config) == {"klaviyo": ["main", "acme", "beta"], "clay": ["acme"]}
    beta = config.vendor("klaviyo").accounts[2]
    assert (beta.api_key, beta.key_source) == (
        KEYS["BETA"],
        f"file {tmp_path / 'accounts.d/keys/beta'}",  # relative to the accounts file
    )
    assert files.refused == {}
    assert [Path(f).name for f in files.loaded] == ["acme.yml", "beta.yaml"]


def test_a_bad_file_is_refused_with_its_path_and_the_others_run(tmp_path):
    path = setup(tmp_path)
    bad = write(
        tmp_path / "accounts.d/bad.yml",
        {"accounts": [{"vendor": "klaviyo", "name": "gamma", "api_key_env": "GAMMA"}]},
    )
    files = AccountFiles()
    config = load_config(path, env=KEYS, files=files)
    assert accounts(config) == {"klaviyo": ["main", "acme", "beta"], "clay": ["acme"]}
    assert files.refused == {
        str(bad): [
            f"{bad}: accounts[0].api_key_env: environment variable GAMMA is not set or empty; "
            "expected it to hold the API key"
        ]
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "accounts: [",
            "not valid YAML at line 1, column 12: expected the node content, but found "
            "'<stream end>'",
        ),
        ({"clients": []}, "expected a mapping with only an 'accounts' list"),
        ({"accounts": []}, "accounts: expected a non-empty list of accounts"),
        (
            {"accounts": [{"vendor": "shopify", "name": "x", "api_key_env": "ACME"}]},
            "accounts[0].vendor: expected a vendor of the config (clay, klaviyo), got 'shopify'",
        ),
        (
            {"accounts": [{"vendor": "klaviyo", "name": "acme", "api_key_env": "ACME"}]},
            "accounts[0].name: klaviyo account 'acme' is already in {dir}/acme.yml",
        ),
        (
            {"accounts": [{"vendor": "klaviyo", "name": "main", "api_key_env": "ACME"}]},
            "accounts[0].name: klaviyo account 'main' is already in {config}",
        ),
        (
            {"accounts": [{"vendor": "klaviyo", "name": "copy", "api_key_env": "ACME"}]},
            "accounts[0]: the same klaviyo key as {dir}/acme.yml: accounts[0]: one account "
            "probed twice spends twice its share of the rate-limit budget",
        ),
        (
            {"accounts": [{"vendor": "klaviyo", "name": "x", "api_key": "pk_inline"}]},
            "accounts[0].api_key: inline API keys are refused",
        ),
    ],
)
def test_each_mistake_refuses_only_its_file(tmp_path, content, problem):
    path = setup(tmp_path)
    bad = write(tmp_path / "accounts.d/zeta.yml", content)
    files = AccountFiles()
    config = load_config(path, env=KEYS, files=files)
    assert accounts(config) == {"klaviyo": ["main", "acme", "beta"], "clay": ["acme"]}
    (problems,) = files.refused.values()
    expected = f"{bad}: " + problem.format(dir=tmp_path / "accounts.d", config=path)
    assert problems[0].startswith(expected), problems


def test_at_a_reload_a_broken_file_keeps_its_last_good_version(tmp_path):
    path = setup(tmp_path)
    files = AccountFiles()
    load_config(path, env=KEYS, files=files)
    acme = tmp_path / "accounts.d/acme.yml"
    write(acme, "accounts: [")
    config = load_config(path, env=KEYS, files=files)
    assert accounts(config) == {"klaviyo": ["main", "acme", "beta"], "clay": ["acme"]}
    assert list(files.refused) == [str(acme)]
    write(acme, {"accounts": [{"vendor": "klaviyo", "name": "acme2", "api_key_env": "ACME"}]})
    config = load_config(path, env=KEYS, files=files)
    assert accounts(config) == {"klaviyo": ["main", "acme2", "beta"], "clay": []}
    assert files.refused == {}


def test_a_mistake_in_the_main_config_refuses_it_all(tmp_path):
    path = setup(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["vendors"][0]["timeout"] = "2h"
    write(path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path, env=KEYS)
    assert all(p.startswith("vendors[0].timeout: ") for p in err.value.problems)


def test_the_config_check_fails_on_a_refused_file(tmp_path, monkeypatch, capsys):
    for name, key in KEYS.items():
        monkeypatch.setenv(name, key)
    path = setup(tmp_path)
    bad = write(tmp_path / "accounts.d/bad.yml", {"accounts": [{"vendor": "klaviyo"}]})
    assert check_config(str(path), "all") == 2
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"saas-exporter: invalid config {path}:",
        f"  {bad}: accounts[0]: 'name' is a required property",
    ]


def test_a_running_exporter_reloads_around_a_bad_file(tmp_path, simulator, monkeypatch):
    for name, key in KEYS.items():
        monkeypatch.setenv(name, key)
    path = setup(tmp_path, simulator.base_url + "/clay/public/v0")
    files = AccountFiles()
    config = load_config(path, files=files)
    runtime = ExporterRuntime(
        config,
        ("127.0.0.1", 0),
        load_config=lambda: load_config(path, files=files),
        account_files=files,
    )
    runtime.start(probes=False)
    try:
        write(tmp_path / "accounts.d/beta.yaml", {"accounts": [{"vendor": "nobody"}]})
        assert runtime.reload() is None  # the config reloaded; one file was refused
        assert ("klaviyo", "beta", "accounts") in runtime.store.states()  # last good
        found = samples(runtime.url)
        assert value(found, "saas_exporter_accounts_file_loaded", file="beta.yaml") == 0
        assert value(found, "saas_exporter_accounts_file_loaded", file="acme.yml") == 1
    finally:
        runtime.stop()
