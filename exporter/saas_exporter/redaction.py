"""Keeping API keys out of every output: logs, metrics, /health, error text, bundles."""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "<redacted>"
# Defence in depth for keys we were never told about (e.g. echoed by a vendor).
_KEY_PATTERNS = (re.compile(r"pk_[A-Za-z0-9_]{8,}"),)

_lock = threading.Lock()
_known: set[str] = set()


def register_secret(value: str) -> None:
    """Every key the exporter loads is registered here before it is used."""
    if value:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Applied to every handler: renders the message, then redacts it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: redact(str(v)) for k, v in fields.items()}
        return True
