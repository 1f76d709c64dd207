"""``accounts_dir``: one file per client (as agencies manage them), merged into the config.

The main config names the directory (``accounts_dir: accounts.d``, relative to the
config file); every ``*.yml``/``*.yaml`` file in it lists accounts of the vendors the
main config defines::

    accounts:
      - vendor: klaviyo
        name: acme
        api_key_file: keys/acme      # relative to this file's directory
        expected_account_id: WBhXHN

Each file stands alone: a file with a mistake is refused with its path and the
mistake, and the others run. At a reload a refused file keeps its last good version
running (``AccountFiles`` remembers it across loads), as a refused config does. The
checks apply across files: an account name already used by the main config or an
earlier file (files are read in name order), and a key already configured for another
account of the same vendor (one account probed twice spends twice its share of the
rate-limit budget), refuse the later file. A mistake in the main config refuses the
whole config, as before.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import read_yaml_file
from .model import ConfigError, ExporterConfig

ACCOUNTS_DIR_KEY = "accounts_dir"
PATTERNS = ("*.yml", "*.yaml")
_ACCOUNT_PATH = re.compile(r"^vendors\[(\d+)\]\.accounts\[(\d+)\](.*)$", re.S)
# Rounds of refusing files and validating again; each round refuses at least one file.
_MAX_ROUNDS = 1000


@dataclass
class AccountFiles:
    """What the last load did with each file, and each file's last good accounts."""

    last_good: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # file -> its problems at the last load (a refused file may run its last good version)
    refused: dict[str, list[str]] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [problem for problems in self.refused.values() for problem in problems]


@dataclass
class _Entry:
    file: str
    index: int
    vendor: str
    account: dict[str, Any]


def _read_file(path: Path, vendors: set[str]) -> tuple[list[_Entry], list[str]]:
    where = str(path)
    try:
        data = read_yaml_file(path)
    except ConfigError as err:
        return [], err.problems
    if not isinstance(data, dict) or set(data) != {"accounts"}:
        return [], [f"{where}: expected a mapping with only an 'accounts' list"]
    accounts = data["accounts"]
    if not isinstance(accounts, list) or not accounts:
        return [], [f"{where}: accounts: expected a non-empty list of accounts"]
    entries, problems = [], []
    for i, raw in enumerate(accounts):
        if not isinstance(raw, dict):
            problems.append(f"{where}: accounts[{i}]: expected a mapping (vendor, name, key)")
            continue
        account = dict(raw)
        vendor = account.pop("vendor", None)
        if vendor not in vendors:
            problems.append(
                f"{where}: accounts[{i}].vendor: expected a vendor of the config "
                f"({', '.join(sorted(vendors))}), got {vendor!r}"
            )
            continue
        if isinstance(account.get("api_key_file"), str):
            account["api_key_file"] = str(path.parent / account["api_key_file"])
        entries.append(_Entry(where, i, vendor, account))
    return entries, problems


def _last_good(file: str, files: AccountFiles) -> list[_Entry]:
    """A refused file's accounts as they were when it last loaded (none if never)."""
    return [
        _Entry(file, i, saved["vendor"], {k: v for k, v in saved.items() if k != "vendor"})
        for i, saved in enumerate(files.last_good.get(file, []))
    ]


def _duplicate_names(entries: list[_Entry], taken: dict[tuple[str, str], str]) -> list[str]:
    problems = []
    for entry in entries:
        name = entry.account.get("name")
        where = taken.get((entry.vendor, name)) if isinstance(name, str) else None
        if where is not None:
            problems.append(
                f"{entry.file}: accounts[{entry.index}].name: {entry.vendor} account "
                f"{name!r} is already in {where}"
            )
    return problems


def _merged(data: Mapping[str, Any], entries: list[_Entry]) -> tuple[dict, dict]:
    """The config with the entries appended; (vendor index, account index) -> entry."""
    merged = copy.deepcopy(dict(data))
    where: dict[tuple[int, int], _Entry] = {}
    index = {v.get("name"): i for i, v in enumerate(merged["vendors"]) if isinstance(v, dict)}
    for entry in entries:
        v = index[entry.vendor]
        accounts = merged["vendors"][v].setdefault("accounts", [])
        where[(v, len(accounts))] = entry
        accounts.append(entry.account)
    return merged, where


def _split(problems: list[str], where: dict[tuple[int, int], _Entry]) -> tuple[list[str], dict]:
    """Main-config problems, and each file's problems with its own paths."""
    main: list[str] = []
    by_file: dict[str, list[str]] = {}
    for problem in problems:
        match = _ACCOUNT_PATH.match(problem)
        entry = where.get((int(match.group(1)), int(match.group(2)))) if match else None
        if entry is None:
            main.append(problem)
            continue
        assert match is not None
        text = f"{entry.file}: accounts[{entry.index}]{match.group(3)}"
        by_file.setdefault(entry.file, []).append(text)
    return main, by_file


def _duplicate_keys(config: ExporterConfig, where: dict[tuple[int, int], _Entry]) -> dict:
    by_file: dict[str, list[str]] = {}
    for v, vendor in enumerate(config.vendors):
        seen: dict[str, str] = {}
        for a, account in enumerate(vendor.accounts):
            if not account.api_key:
                continue  # keys not read (a structure-only check)
            entry = where.get((v, a))
            here = f"{entry.file}: accounts[{entry.index}]" if entry else f"account {account.name}"
            other = seen.setdefault(account.api_key, here)
            if other != here and entry is not None:
                by_file.setdefault(entry.file, []).append(
                    f"{here}: the same {vendor.name} key as {other}: one account probed twice "
                    "spends twice its share of the rate-limit budget"
                )
    return by_file


def load_with_accounts_dir(
    data: dict[str, Any],
    config_path: Path,
    files: AccountFiles,
    load_data: Callable[[dict[str, Any]], ExporterConfig],
) -> ExporterConfig:
    """The config with every good accounts file merged (``load_data(merged)`` validates
    and builds it); refused files are recorded in ``files``."""
    directory = data.pop(ACCOUNTS_DIR_KEY)
    if not isinstance(directory, str) or not directory:
        raise ConfigError([f"{ACCOUNTS_DIR_KEY}: expected a directory path, got {directory!r}"])
    root = config_path.parent / directory
    if not root.is_dir():
        raise ConfigError([f"{ACCOUNTS_DIR_KEY}: {root} is not a directory"])
    vendors_raw = data.get("vendors")
    if not isinstance(vendors_raw, list):
        return load_data(data)  # the schema says what is wrong
    vendors = {
        v["name"] for v in vendors_raw if isinstance(v, dict) and isinstance(v.get("name"), str)
    }
    taken: dict[tuple[str, str], str] = {}
    for vendor in vendors_raw:
        if isinstance(vendor, dict):
            for account in vendor.get("accounts") or []:
                if isinstance(account, dict) and isinstance(account.get("name"), str):
                    taken[(str(vendor.get("name")), account["name"])] = str(config_path)
    refused: dict[str, list[str]] = {}
    chosen: dict[str, list[_Entry]] = {}
    paths = sorted({p for pattern in PATTERNS for p in root.glob(pattern) if p.is_file()})
    for path in paths:
        entries, problems = _read_file(path, vendors)
        problems += _duplicate_names(entries, taken)
        if problems:
            refused[str(path)] = problems
            entries = _last_good(str(path), files)
            if _duplicate_names(entries, taken):
                entries = []
        for entry in entries:
            if isinstance(entry.account.get("name"), str):
                taken[(entry.vendor, entry.account["name"])] = entry.file
        chosen[str(path)] = entries
    config: ExporterConfig | None = None
    for _ in range(_MAX_ROUNDS):
        entries = [entry for file_entries in chosen.values() for entry in file_entries]
        merged, where = _merged(data, entries)
        try:
            config = load_data(merged)
        except ConfigError as err:
            main, by_file = _split(err.problems, where)
            if main:
                raise ConfigError(main) from None
            config = None
        else:
            by_file = _duplicate_keys(config, where)
            if not by_file:
                break
        for file, problems in by_file.items():
            refused.setdefault(file, []).extend(problems)
            chosen[file] = []  # a file that fails with its entries merged runs nothing
    assert config is not None, "every round refuses a file, so the rounds end"
    files.refused = refused
    files.loaded = [file for file, entries in chosen.items() if entries and file not in refused]
    for file in files.loaded:
        files.last_good[file] = [{"vendor": e.vendor, **e.account} for e in chosen[file]]
    for file in list(files.last_good):
        if file not in chosen:
            del files.last_good[file]  # deleted from the directory
    return config
