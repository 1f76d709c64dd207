"""The one frame every on-call command runs on: flags → evidence → typed report → text or JSON.

A command is a `Command`: its flags (the shared parents below plus its own), and a
`gather` that turns the parsed flags into a report. The frame parses, sets up logging,
runs `gather`, renders the report as text or JSON (always through the redactor), writes
its notes to stderr and returns its exit code. `Abort` ends a command early with a
message and an exit code (2: it could not run as asked).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..demo.config import DEMO_SIMULATOR_URL
from ..logs import add_log_flags, setup_logging
from ..redaction import redact

# Every command: 2 means it could not run as asked (flags, unreadable config, --vendor).
EXIT_USAGE = 2
DEFAULT_CONFIG = "saas-exporter.yml"
# On-call output is the report; the probes' info lines would drown it.
DEFAULT_LOG_LEVEL = "warn"


class Abort(Exception):
    """Stop the command: `message` goes to stderr (prefixed with the command's name)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Report(Protocol):
    """What every command produces. Text and JSON say the same thing."""

    @property
    def exit_code(self) -> int: ...

    @property
    def notes(self) -> Sequence[str]:
        """One line each for stderr (what could not be collected, where a file went)."""
        ...

    def to_json(self) -> Any: ...

    def to_text(self, colour: bool) -> str: ...


@dataclass(frozen=True)
class Context:
    prog: str
    out: TextIO
    err: TextIO
    clock: Callable[[], float]


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


# Parent parsers: each flag is defined once and shared by the commands that use it.


def common_flags() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config.file",
        dest="config_file",
        metavar="FILE",
        default=DEFAULT_CONFIG,
        help="the exporter's YAML config (default: %(default)s)",
    )
    parent.add_argument(
        "--demo",
        action="store_true",
        help="use the running demo's config (`saas-exporter demo`) instead of --config.file: "
        "no file to write, no key to set",
    )
    parent.add_argument(
        "--demo.simulator-url",
        dest="demo_simulator_url",
        metavar="URL",
        default=DEMO_SIMULATOR_URL,
        help="with --demo: where the demo's simulator listens (default: %(default)s)",
    )
    parent.add_argument(
        "--output",
        choices=["text", "json"],
        default="text",
        help="the report as text (coloured on a terminal, never with NO_COLOR) or as JSON "
        "for tools (default: %(default)s)",
    )
    add_log_flags(parent, DEFAULT_LOG_LEVEL)
    return parent


def vendor_flag() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--vendor", metavar="NAME", help="only this vendor (its `name` in the config)"
    )
    return parent


def prometheus_flag(required: bool) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--prometheus-url",
        metavar="URL",
        required=required,
        help="the Prometheus server that scrapes the exporter (http://host:9090)"
        + ("" if required else "; without it, no error rates or firing alerts"),
    )
    return parent


def exporter_flag() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--exporter-url",
        metavar="URL",
        help="a running exporter (http://host:9879): its /metrics and /health",
    )
    return parent


def timeout_flag() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="seconds per HTTP request to Prometheus, the exporter or a status page "
        "(default: %(default)s)",
    )
    return parent


def window_flag(default: str) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--since",
        metavar="DURATION",
        default=default,
        help="how far back to look, a Prometheus duration: 30m, 2h, 1d (default: %(default)s)",
    )
    return parent


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line in `saas-exporter --help`
    description: str  # the command's own --help, exit codes included
    parents: Callable[[], Sequence[argparse.ArgumentParser]]
    gather: Callable[[argparse.Namespace, Context], Report]
    add_arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None

    @property
    def prog(self) -> str:
        return f"saas-exporter {self.name}"

    def _fill(self, parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        self.add_arguments(parser)
        parser.set_defaults(run=self.execute)
        return parser

    def parser(self) -> argparse.ArgumentParser:
        return self._fill(
            argparse.ArgumentParser(
                prog=self.prog, description=self.description, parents=self.parents()
            )
        )

    def add_to(self, commands: argparse._SubParsersAction) -> None:
        """This command as a subcommand of `saas-exporter`."""
        self._fill(
            commands.add_parser(
                self.name,
                help=self.summary,
                description=self.description,
                parents=self.parents(),
            )
        )

    def run(
        self,
        argv: Sequence[str],
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> int:
        return self.execute(self.parser().parse_args(list(argv)), out, err, clock)

    def execute(
        self,
        args: argparse.Namespace,
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> int:
        context = Context(self.prog, out or sys.stdout, err or sys.stderr, clock)
        setup_logging(args.log_level, args.log_format, context.err)
        try:
            report = self.gather(args, context)
        except Abort as stop:
            print(f"{self.prog}: {redact(stop.message)}", file=context.err)
            return stop.code
        emit(report, args, context)
        return report.exit_code


def emit(report: Report, args: argparse.Namespace, context: Context) -> None:
    """The report on stdout (or in `--out`, for commands whose report is a document)."""
    target = getattr(args, "report_file", None)
    if args.output == "json":
        text = json.dumps(report.to_json(), indent=2) + "\n"
    else:
        text = report.to_text(target is None and colour_enabled(context.out))
    text = redact(text)
    if target:
        Path(target).write_text(text, encoding="utf-8")
    else:
        context.out.write(text)
    for note in report.notes:
        print(f"{context.prog}: {redact(note)}", file=context.err)
    if target:
        print(f"{context.prog}: wrote {target}", file=context.err)
