"""Checks that refuse at start what would fail at run time: URLs and ports that do not
parse, credentials outside the key fields, impossible revision dates, zero durations.
Every problem names its config path; a credential's value is never repeated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..durations import format_duration
from ..redaction import is_credential_name
from ..revisions import REVISION_PATTERN, revision_lifecycle

_WHERE_KEYS_GO = (
    "configs end up in repositories, tickets and bundles; the key goes in api_key_file or "
    "api_key_env"
)
# Revisions are dates of API releases: years outside this are typos.
_REVISION_YEARS = (2000, 2100)


def _query_problems(path: str, query: str) -> list[str]:
    return [
        f"{path}: query parameter {name!r} looks like a credential; {_WHERE_KEYS_GO}"
        for name, _value in parse_qsl(query, keep_blank_values=True)
        if is_credential_name(name)
    ]


def url_problems(path: str, url: str | None) -> list[str]:
    """An http(s) URL with a host, a valid port, and no credentials in it."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as err:
        reason = str(err).split(" as ")[0].split(" value")[0]
        return [f"{path}: expected an http:// or https:// URL, but it does not parse ({reason})"]
    problems = []
    if parts.username is not None or parts.password is not None:
        problems.append(
            f"{path}: credentials in the URL (user:password@) are refused; {_WHERE_KEYS_GO}"
        )
    if not host:
        problems.append(f"{path}: expected a host name in the URL")
    if port == 0:
        problems.append(f"{path}: expected a port from 1 to 65535, got 0")
    return problems + _query_problems(path, parts.query)


def api_path_problems(path: str, api_path: str) -> list[str]:
    try:
        query = urlsplit(api_path).query
    except ValueError:
        return [f"{path}: expected a URL path like /v1/me, but it does not parse"]
    return _query_problems(path, query)


def header_problems(path: str, headers: Mapping[str, str], auth_header: str) -> list[str]:
    problems = []
    for name, value in headers.items():
        looks_secret = value.lower().startswith(("bearer ", "basic "))
        if name.lower() in ("authorization", auth_header.lower()) or looks_secret:
            problems.append(
                f"{path}.{name}: credentials are refused here (configs end up in "
                "repositories, tickets and bundles); the key goes in api_key_file or "
                f"api_key_env and is sent in api.auth_header ({auth_header})"
            )
        elif is_credential_name(name):
            problems.append(f"{path}.{name}: looks like a credential; {_WHERE_KEYS_GO}")
        elif any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
            problems.append(
                f"{path}.{name}: expected printable ASCII (a control or non-ASCII character "
                "cannot be sent in a header)"
            )
    return problems


def revision_problem(path: str, revision: str | None) -> str | None:
    if not revision:
        return None
    match = REVISION_PATTERN.match(revision)
    try:
        released = date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        released = None
    if released is None:
        return f"{path}: {revision!r} is not a calendar date; expected one like 2026-07-15"
    low, high = _REVISION_YEARS
    if not low <= released.year <= high:
        return f"{path}: {revision!r} is not a plausible API revision (a year {low}-{high})"
    revision_lifecycle(revision)  # the collector's reading of it cannot fail now
    return None


# No vendor needs a probe more than once a second, and no HTTPS answer arrives reliably
# within less than 100 ms: below these a typo (1ms for 1m) would hammer the vendor.
MIN_INTERVAL_SECONDS = 1.0
MIN_TIMEOUT_SECONDS = 0.1


def at_least_problems(path: str, seconds: Mapping[str, float], minimum: float) -> list[str]:
    return [
        f"{path}.{name}: expected a duration of at least {format_duration(minimum)}, "
        f"got {format_duration(value)}"
        for name, value in seconds.items()
        if value < minimum
    ]


def keys_in(path: str, texts: Mapping[str, str | None], keys: Iterable[str]) -> list[str]:
    """A loaded key written into a URL, path or header value (where it would leak)."""
    problems = []
    for where, text in texts.items():
        if text and any(key and key in text for key in keys):
            problems.append(f"{path}.{where}: holds an account's API key; {_WHERE_KEYS_GO}")
    return problems


def describe_value(value: Any, limit: int = 80) -> str:
    """A value repeated in an error, cut short (a 2 GB alias bomb must not be echoed)."""
    import json

    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
