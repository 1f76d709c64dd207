"""What the on-call commands read besides evidence: the config, the vendors, the window."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ConfigError, ExporterConfig, VendorConfig, load_config, read_config_file
from ..demo import demo_config, demo_config_data
from .frame import EXIT_USAGE, Abort
from .promapi import parse_since, step_for


def require_readable(path: str) -> None:
    """Abort (exit 2) when the config file cannot be read at all: the command was asked
    to use a config that is not there. What the file says is each command's business."""
    try:
        with Path(path).open("rb"):
            pass
    except OSError as err:
        raise Abort(EXIT_USAGE, f"{path}: cannot read the config: {err.strerror or err}") from None


def load_or_abort(path: str, keys: bool = True) -> ExporterConfig:
    """The loaded config; Abort (exit 2) listing every problem with its path. With
    `keys=False` no key is read (for commands that never call a vendor's API)."""
    require_readable(path)
    try:
        return load_config(path, keys=keys)
    except ConfigError as error:
        problems = "".join(f"\n  {problem}" for problem in error.problems)
        raise Abort(EXIT_USAGE, f"invalid config {path}:{problems}") from None


def select_vendors(config: ExporterConfig, name: str | None) -> tuple[VendorConfig, ...]:
    """The vendors to work on; Abort (exit 2) naming the configured ones."""
    if name is None:
        return config.vendors
    for vendor in config.vendors:
        if vendor.name == name:
            return (vendor,)
    known = ", ".join(v.name for v in config.vendors)
    raise Abort(
        EXIT_USAGE, f"--vendor: no vendor named {name!r} in the config (configured: {known})"
    )


def read_raw_config(path: str) -> dict[str, Any]:
    """The config as YAML, without resolving keys: for commands that never call the API.

    Raises ValueError with a one-line reason when the file is unreadable or not a mapping.
    """
    try:
        return read_config_file(Path(path))
    except ConfigError as error:
        raise ValueError("; ".join(error.problems)) from None


@dataclass(frozen=True)
class ConfigSource:
    """Where a command's config comes from: a file (`--config.file`), or the running
    demo's (`--demo`), built in: no file to write, no key to set."""

    path: str
    demo_simulator_url: str | None = None

    @property
    def label(self) -> str:
        if self.demo_simulator_url is not None:
            return f"the demo's config (simulator {self.demo_simulator_url})"
        return self.path

    def require_readable(self) -> None:
        if self.demo_simulator_url is None:
            require_readable(self.path)

    def load(self) -> ExporterConfig:
        """The loaded config; raises ConfigError."""
        if self.demo_simulator_url is not None:
            return demo_config(self.demo_simulator_url)
        return load_config(self.path)

    def load_or_abort(self, keys: bool = True) -> ExporterConfig:
        if self.demo_simulator_url is not None:
            return self.load()
        return load_or_abort(self.path, keys)

    def raw(self) -> dict[str, Any]:
        """The config as data, keys unresolved; ValueError as `read_raw_config`."""
        if self.demo_simulator_url is not None:
            return demo_config_data(self.demo_simulator_url)
        return read_raw_config(self.path)


def config_source(args: argparse.Namespace) -> ConfigSource:
    demo = getattr(args, "demo", False)
    url = str(args.demo_simulator_url).rstrip("/") if demo else None
    return ConfigSource(args.config_file, url)


def window(since: str, clock: Callable[[], float]) -> tuple[tuple[float, float], float]:
    """((start, end), range-query step) for `--since` back from now; Abort (2) if invalid."""
    try:
        seconds = parse_since(since)
    except ValueError as error:
        raise Abort(EXIT_USAGE, f"--since: {error}") from None
    end = clock()
    return (end - seconds, end), step_for(seconds)
