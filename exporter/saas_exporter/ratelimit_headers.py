"""Parse vendor rate-limit response headers into one shape.

Formats read (every one is optional; missing headers are normal):
- IETF draft 03-07 split headers, as Klaviyo sends them:
  ``ratelimit-limit: 75, 75;w=1, 750;w=60``, ``ratelimit-remaining: 72``,
  ``ratelimit-reset: 0``; ``ratelimit-policy: 75;w=1, 750;w=60``.
- IETF draft 07 combined: ``ratelimit: limit=100, remaining=50, reset=5``.
- IETF draft 08+ structured: ``ratelimit-policy: "burst";q=75;w=1, "steady";q=750;w=60``
  and ``ratelimit: "steady";r=72;t=3``.
- The de-facto ``x-ratelimit-limit/-remaining/-reset`` (reset may be a Unix time).
- Vendor-specific names (the generic kind's ``api.ratelimit_headers``): a configured
  ``limit``/``remaining``/``reset`` header is read as the ``x-ratelimit-*`` one, and
  ``used_of_limit`` reads a ``used/limit`` pair such as Shopify's ``32/40``.
A malformed header is reported by name and skipped; it never fails the probe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# A window we cannot attribute to a length (a bare limit with no policy).
UNSPECIFIED_WINDOW = "unspecified"
# x-ratelimit-reset values above this are Unix timestamps, not durations.
_EPOCH_THRESHOLD = 1_000_000_000

_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True)
class RateLimitInfo:
    """What the vendor said about the budget: limits per window, remaining, reset."""

    limits: Mapping[str, float] = field(default_factory=dict)
    remaining: float | None = None
    reset_seconds: float | None = None

    def is_empty(self) -> bool:
        return not self.limits and self.remaining is None and self.reset_seconds is None


@dataclass(frozen=True)
class InvalidHeader:
    header: str
    message: str


@dataclass(frozen=True)
class ParsedRateLimit:
    info: RateLimitInfo | None
    invalid: tuple[InvalidHeader, ...] = ()


class _HeaderError(ValueError):
    pass


def _number(text: str, what: str) -> float:
    text = text.strip()
    if not _NUMBER.match(text):
        raise _HeaderError(f"expected {what} as a non-negative number, got {text!r}")
    return float(text)


def _split_items(value: str) -> list[tuple[str, dict[str, str]]]:
    """Split a structured-field list into (first member, params) pairs."""
    items = []
    for raw in value.split(","):
        raw = raw.strip()
        if not raw:
            continue
        parts = [p.strip() for p in raw.split(";")]
        params: dict[str, str] = {}
        for param in parts[1:]:
            if "=" not in param:
                raise _HeaderError(f"expected key=value parameters, got {param!r}")
            key, _, val = param.partition("=")
            params[key.strip().lower()] = val.strip()
        items.append((parts[0], params))
    return items


def _window_label(seconds_text: str) -> str:
    return str(int(_number(seconds_text, "a window length in seconds")))


def _parse_limit_list(value: str) -> dict[str, float]:
    """``75, 75;w=1, 750;w=60`` (draft 03-07) or ``"n";q=75;w=1`` (draft 08+)."""
    limits: dict[str, float] = {}
    bare: list[float] = []
    for member, params in _split_items(value):
        if member.startswith('"'):
            if "q" not in params:
                raise _HeaderError(f"expected a q= quota on policy {member}")
            quota = _number(params["q"], "a quota")
        else:
            quota = _number(member, "a limit")
        if "w" in params:
            window = _window_label(params["w"])
            limits[window] = min(quota, limits.get(window, quota))
        else:
            bare.append(quota)
    if not limits and bare:
        limits[UNSPECIFIED_WINDOW] = min(bare)
    if not limits:
        raise _HeaderError("expected at least one limit")
    return limits


def _parse_combined(value: str) -> tuple[dict[str, float], float | None, float | None]:
    """``limit=100, remaining=50, reset=5`` or ``"steady";r=72;t=3``."""
    text = value.strip()
    if text.startswith('"'):
        remaining = reset = None
        for _member, params in _split_items(text):
            if "r" in params:
                r = _number(params["r"], "r (remaining)")
                remaining = r if remaining is None else min(remaining, r)
            if "t" in params:
                t = _number(params["t"], "t (reset seconds)")
                reset = t if reset is None else max(reset, t)
        if remaining is None and reset is None:
            raise _HeaderError("expected r= or t= parameters")
        return {}, remaining, reset
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, val = part.partition("=")
        if not sep:
            raise _HeaderError(f"expected limit=, remaining=, reset= fields, got {part.strip()!r}")
        fields[key.strip().lower()] = val.strip()
    limits = {}
    if "limit" in fields:
        limits[UNSPECIFIED_WINDOW] = _number(fields["limit"], "limit")
    remaining = _number(fields["remaining"], "remaining") if "remaining" in fields else None
    reset = _number(fields["reset"], "reset") if "reset" in fields else None
    return limits, remaining, reset


def parse_rate_limit_headers(headers: Mapping[str, str], now: float) -> ParsedRateLimit:
    """Read every known rate-limit header; ``now`` converts Unix-time resets."""
    lower = {k.lower(): v for k, v in headers.items()}
    limits: dict[str, float] = {}
    remaining: float | None = None
    reset: float | None = None
    invalid: list[InvalidHeader] = []

    def attempt(name: str, parse):
        if name not in lower:
            return None
        try:
            return parse(lower[name])
        except _HeaderError as err:
            invalid.append(InvalidHeader(name, f"{name}: {err}"))
            return None

    for name in ("ratelimit-policy", "ratelimit-limit", "x-ratelimit-limit"):
        parsed = attempt(name, _parse_limit_list)
        if parsed:
            for window, quota in parsed.items():
                if window == UNSPECIFIED_WINDOW and limits:
                    continue
                limits.setdefault(window, quota)
    if len(limits) > 1:
        limits.pop(UNSPECIFIED_WINDOW, None)

    combined = attempt("ratelimit", _parse_combined)
    if combined:
        c_limits, remaining, reset = combined
        for window, quota in c_limits.items():
            if not limits:
                limits[window] = quota

    for name in ("ratelimit-remaining", "x-ratelimit-remaining"):
        value = attempt(name, lambda v: _number(v, "remaining"))
        if value is not None and remaining is None:
            remaining = value
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        value = attempt(name, lambda v: _number(v, "reset seconds"))
        if value is not None and reset is None:
            reset = max(0.0, value - now) if value > _EPOCH_THRESHOLD else value

    info = RateLimitInfo(limits=limits, remaining=remaining, reset_seconds=reset)
    return ParsedRateLimit(info=None if info.is_empty() else info, invalid=tuple(invalid))


_USED_OF_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_named_rate_limit_headers(
    headers: Mapping[str, str], now: float, names: Mapping[str, str]
) -> ParsedRateLimit:
    """As parse_rate_limit_headers, with vendor-specific header names taking precedence."""
    if not names:
        return parse_rate_limit_headers(headers, now)
    view = {k.lower(): v for k, v in headers.items()}
    renamed: dict[str, str] = {}
    invalid: list[InvalidHeader] = []
    for field_name in ("limit", "remaining", "reset"):
        name = names.get(field_name)
        if name and name in view:
            standard = f"x-ratelimit-{field_name}"
            view[standard] = view[name]
            renamed[standard] = name
    name = names.get("used_of_limit")
    if name and name in view:
        match = _USED_OF_LIMIT.match(view[name])
        if match is None:
            invalid.append(
                InvalidHeader(name, f"{name}: expected used/limit like 32/40, got {view[name]!r}")
            )
        else:
            used, limit = int(match[1]), int(match[2])
            view.setdefault("x-ratelimit-limit", str(limit))
            view.setdefault("x-ratelimit-remaining", str(max(0, limit - used)))
    parsed = parse_rate_limit_headers(view, now)
    invalid += [
        InvalidHeader(renamed.get(item.header, item.header), item.message)
        for item in parsed.invalid
    ]
    return ParsedRateLimit(parsed.info, tuple(invalid))
