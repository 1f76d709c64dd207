"""What the on-call commands share: flags, config loading, exit codes, colour."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import yaml

from ..catalog import CATALOG
from ..config import ConfigError, ExporterConfig, VendorConfig, load_config
from .promapi import parse_since, step_for

# Every subcommand: 2 means the command could not run as asked (flags, config).
EXIT_USAGE = 2
DEFAULT_CONFIG = "saas-exporter.yml"


def add_config_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config.file",
        dest="config_file",
        default=DEFAULT_CONFIG,
        help="the exporter's YAML config (default: %(default)s)",
    )


def add_output_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", choices=["text", "json"], default="text")


def add_vendor_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vendor", help="only this vendor (its `name` in the config)")


def load_for_command(prog: str, path: str, err: TextIO = sys.stderr) -> ExporterConfig | None:
    """The loaded config, or None after printing every problem with its path."""
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"{prog}: invalid config {path}:", file=err)
        for problem in error.problems:
            print(f"  {problem}", file=err)
        return None


def select_vendors(config: ExporterConfig, name: str | None) -> tuple[VendorConfig, ...] | str:
    """The vendors to work on, or an error message naming the configured ones."""
    if name is None:
        return config.vendors
    for vendor in config.vendors:
        if vendor.name == name:
            return (vendor,)
    known = ", ".join(v.name for v in config.vendors)
    return f"--vendor: no vendor named {name!r} in the config (configured: {known})"


def read_raw_config(path: str) -> dict[str, Any]:
    """The config as YAML, without resolving keys: for commands that never call the API.

    Raises ValueError with a one-line reason when the file is unreadable or not a mapping.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"{path}: cannot read the config: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("vendors"), list):
        raise ValueError(f"{path}: expected a mapping with a 'vendors' list at the top level")
    return data


def statuspage_urls(raw: dict[str, Any], vendor: str | None = None) -> dict[str, str]:
    """vendor name -> status page base URL, from a raw config (kind defaults applied)."""
    urls: dict[str, str] = {}
    for item in raw.get("vendors", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        if vendor is not None and item["name"] != vendor:
            continue
        kind = CATALOG.kinds.get(str(item.get("kind")))
        default = kind.default_statuspage_url if kind else None
        url = item.get("statuspage_url", default)
        if isinstance(url, str) and url:
            urls[item["name"]] = url.rstrip("/")
    return urls


def colour_enabled(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_CODES = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"\033[{_CODES[colour]}m{text}\033[0m" if enabled else text


def window(
    prog: str, since: str, clock: Callable[[], float], err: TextIO
) -> tuple[tuple[float, float], float] | None:
    """((start, end), range-query step) for `--since` back from now, or None after saying why."""
    try:
        seconds = parse_since(since)
    except ValueError as error:
        print(f"{prog}: --since: {error}", file=err)
        return None
    end = clock()
    return (end - seconds, end), step_for(seconds)
