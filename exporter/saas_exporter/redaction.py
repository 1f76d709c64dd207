"""One redaction rule for every output: logs, metrics, /health, error text, the CLI and
bundles all pass through ``redact``.

It removes:
- every key the exporter loaded (registered here before use), and anything shaped like
  a Klaviyo private key (``pk_...``), even one we were never told about;
- userinfo in URLs (``https://user:pass@host`` -> ``https://<redacted>@host``);
- the value of any credential-shaped name, however it is written: a query or logfmt
  ``api_key=...``, a header or YAML line ``Cookie: ...``, JSON ``"token": "..."``, a
  Python tuple ``(b'authorization', b'...')``;
- ``Bearer``/``Basic`` credentials.
The config check uses ``is_credential_name`` to refuse credentials outside the key
fields, so what is refused at start and what is hidden in outputs are the same names.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "<redacted>"
# Defence in depth for keys we were never told about (e.g. echoed by a vendor).
_KEY_PATTERNS = (re.compile(r"pk_[A-Za-z0-9_]{8,}"),)

# A name is credential-shaped when one of its words is one of these ("auth" alone is
# not: it is also the failure reason that starts "auth: 401: ..." texts)...
_CREDENTIAL_WORDS = frozenset(
    [
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "authorization",
        "cookie",
        "session",
        "sessionid",
        "sid",
        "sig",
        "signature",
        "credential",
        "credentials",
        "jwt",
        "bearer",
        "otp",
    ]
)
# ...unless its last word says it names where a credential is, not the credential.
_NAMES_NOT_VALUES = frozenset(
    [
        "env",
        "file",
        "header",
        "prefix",
        "base64",
        "field",
        "fields",
        "url",
        "path",
        "name",
        "names",
        "id",
        "shape",
        "type",
        "source",
        "length",
        "size",
        "count",
        "rotation",
        "loaded",
        "rotations",
        "total",
        "seconds",
        "status",
        "reason",
    ]
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[-_.\s]+")

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
_NAME = r"[A-Za-z][A-Za-z0-9_.\-]{0,63}"
_ASSIGNMENT = re.compile(rf"(?P<name>{_NAME})=(?P<value>[^&\s#\"',;)\]}}]+)")
# Header, YAML and JSON names have no dots; a name after "." or "]" is the end of a
# config path ("vendors[0].api.headers.Cookie: ..."), not a credential's name.
_FIELD = r"(?<![\w.\]\[-])[A-Za-z][A-Za-z0-9_\-]{0,63}"
# Quotes, escaped too (JSON inside a JSON string: {\"token\": \"...\"}).
_QUOTE = r"(?:\\?[\"'])?"
_PAIR = re.compile(
    rf"(?P<pre>{_QUOTE}(?P<name>{_FIELD}){_QUOTE}[ \t]*:[ \t]*)"
    r"(?P<value>\\?\"(?:[^\"\\\r\n]|\\[^\"\r\n])*\\?\"|'[^'\r\n]*'"
    r"|[^\s\"',{}\[\\][^,}\r\n\\]*)"
)
_TUPLE = re.compile(rf"(?P<pre>\(b?['\"](?P<name>{_NAME})['\"],\s*b?)(?P<value>'[^']*'|\"[^\"]*\")")
_SCHEME_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")

_lock = threading.Lock()
_known: set[str] = set()


def is_credential_name(name: str) -> bool:
    """True for names that carry credentials: ``api_key``, ``X-Api-Key``, ``Cookie``,
    ``access_token``, ``clay-api-key``; not for ``api_key_env`` or ``auth_header``."""
    words = [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).lower()) if w]
    if not words or words[-1] in _NAMES_NOT_VALUES:
        return False
    return any(
        w in _CREDENTIAL_WORDS or w.endswith(("token", "secret", "password", "apikey"))
        for w in words
    )


def register_secret(value: str) -> None:
    """Every key the exporter loads is registered here before it is used."""
    if value:
        with _lock:
            _known.add(value)


def _hide_value(match: re.Match[str]) -> str:
    if not is_credential_name(match["name"]):
        return match[0]
    value = match["value"]
    quote = next((q for q in ('\\"', '"', "'") if value.startswith(q) and len(value) > len(q)), "")
    pre = match.groupdict().get("pre")
    if pre is None:
        return f"{match['name']}={REDACTED}"
    return f"{pre}{quote}{REDACTED}{quote}"


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(REDACTED, text)
    if "://" in text:
        text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    if "=" in text:
        text = _ASSIGNMENT.sub(_hide_value, text)
    if ":" in text:
        text = _PAIR.sub(_hide_value, text)
    if "(" in text:
        text = _TUPLE.sub(_hide_value, text)
    return _SCHEME_CREDENTIAL.sub(rf"\1 {REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Applied to every handler: renders the message, then redacts it, its fields and
    any traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                k: REDACTED if is_credential_name(str(k)) else redact(str(v))
                for k, v in fields.items()
            }
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None
        return True
