"""Reading a config file safely: bounded size, UTF-8 only, YAML without aliases.

A 354-byte YAML alias bomb once took 105 s and 6 GB before it was refused: aliases are
refused here as the parser meets them, before anything expands. Size and encoding are
checked before YAML sees the text, and nesting too deep for the parser is a problem
like any other, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .model import ConfigError

# A config of 1,000 accounts is about 100 KiB.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (``*name``, ``<<: *name``) when met."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"found an alias (*{event.anchor}); YAML anchors and aliases are not "
                "allowed in the config: write each value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str, where: str) -> Any:
    """The YAML document in ``text``; ConfigError naming ``where`` and the line."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError([f"{where}: not valid YAML{at}: {problem}"]) from None
    except RecursionError:
        raise ConfigError([f"{where}: not valid YAML: nested too deeply"]) from None


def read_config_file(path: Path) -> Any:
    """The parsed YAML of a config file; ConfigError when unreadable, too big, not UTF-8,
    not YAML, or not a mapping."""
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping with a 'vendors' list at the top level"])
    return data


def read_yaml_file(path: Path) -> Any:
    """The parsed YAML of a file; ConfigError when unreadable, too big, not UTF-8 or not
    YAML."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise ConfigError([f"{path}: cannot read the config: {err.strerror or err}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"{path}: over {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; not read as a config"]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            [f"{path}: not UTF-8 text (line {line} has a byte that is not); save it as UTF-8"]
        ) from None
    return parse_yaml(text, str(path))
