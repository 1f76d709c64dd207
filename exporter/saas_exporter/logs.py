"""logfmt or JSON logs, redacted before they are written."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime

from .redaction import RedactingFilter

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def _timestamp(record: logging.LogRecord) -> str:
    return (
        datetime.fromtimestamp(record.created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = {
        "ts": _timestamp(record),
        "level": record.levelname.lower().replace("warning", "warn"),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields.update(getattr(record, "fields", {}) or {})
    if record.exc_text:  # rendered and redacted by RedactingFilter
        fields["exc"] = record.exc_text
    elif record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


def _logfmt_value(value: object) -> str:
    text = "" if value is None else str(value)
    if text and not any(c in text for c in ' ="\n\t'):
        return text
    return json.dumps(text)


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str)


def setup_logging(level: str = "info", fmt: str = "logfmt", stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    handler.addFilter(RedactingFilter())
    # On the handler too: a library logger with a level of its own (werkzeug sets INFO)
    # would otherwise pass records below --log.level through to it.
    handler.setLevel(LEVELS[level])
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_saas_exporter", False):
            root.removeHandler(existing)
    handler._saas_exporter = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    # The HTTP client's own debug lines carry raw request and response headers.
    for name in ("httpx", "httpcore", "h11", "hpack"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def add_log_flags(parser: argparse.ArgumentParser, default_level: str = "info") -> None:
    """--log.level and --log.format, as the exporter and every subcommand spell them."""
    parser.add_argument(
        "--log.level",
        dest="log_level",
        choices=list(LEVELS),
        default=default_level,
        help="only log messages at this level or above (default: %(default)s)",
    )
    parser.add_argument(
        "--log.format",
        dest="log_format",
        choices=["logfmt", "json"],
        default="logfmt",
        help="log line format on stderr (default: %(default)s)",
    )
