"""Parse vendor rate-limit response headers into one shape.

Formats read (every one is optional; missing headers are normal):
- IETF draft 03-07 split headers, as Klaviyo sends them:
  ``ratelimit-limit: 75, 75;w=1, 750;w=60``, ``ratelimit-remaining: 72``,
  ``ratelimit-reset: 0``; ``ratelimit-policy: 75;w=1, 750;w=60``.
- IETF draft 07 combined: ``ratelimit: limit=100, remaining=50, reset=5``.
- IETF draft 08-10 structured: ``ratelimit-policy: "burst";q=75;w=1, "steady";q=750;w=60``
  and ``ratelimit: "steady";r=72;t=3`` (a quoted policy name; ``q`` and ``r`` required).
- The de-facto ``x-ratelimit-limit/-remaining/-reset`` (reset may be a Unix time).
- Vendor-specific names (the generic kind's ``api.ratelimit_headers``): a configured
  ``limit``/``remaining``/``reset`` header is read as the ``x-ratelimit-*`` one, and
  ``used_of_limit`` reads a ``used/limit`` pair such as Shopify's ``32/40``.

Every one of these is an HTTP Structured Field (RFC 9651) or a single number, so values
go through ``http_sf``: numbers have at most 15 digits (no overflow, no infinity) and a
malformed value is refused as a whole, as draft 10 requires ("Malformed RateLimit header
fields MUST be ignored"). A refused header is reported by name and skipped; it never
fails the probe, and nothing here raises.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import http_sf

log = logging.getLogger(__name__)

# A window we cannot attribute to a length (a bare limit with no policy).
UNSPECIFIED_WINDOW = "unspecified"
# x-ratelimit-reset values above this are Unix timestamps, not durations.
_EPOCH_THRESHOLD = 1_000_000_000
# Each window is a label value of saas_ratelimit_limit: a vendor listing more policies
# than this gets the first ones kept and the header flagged.
MAX_WINDOWS = 8
# How much of a refused value an error message repeats.
_SHOWN = 60


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


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def _structured(value: str, tltype: str) -> Any:
    try:
        return http_sf.parse(value.encode("latin-1"), tltype=tltype)
    except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError) as err:
        reason = str(err).split(" at position")[0].rstrip(".")
        raise _HeaderError(f"not a structured {tltype} ({reason}), got {_shown(value)}") from None


def _count(value: Any, what: str) -> float:
    """A non-negative Integer or Decimal (never a boolean, token or string)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise _HeaderError(f"expected {what} as a non-negative number, got {_shown(value)}")
    return float(value)


def _number(text: str, what: str) -> float:
    """A header holding one number: ``72``, ``0.5``, ``1735689600``."""
    if not text.strip():
        raise _HeaderError(f"expected {what} as a non-negative number, got ''")
    try:
        value, _params = _structured(text, "item")
    except _HeaderError:
        raise _HeaderError(
            f"expected {what} as a non-negative number, got {_shown(text.strip())}"
        ) from None
    return _count(value, what)


def _window_label(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _HeaderError(f"expected w= (window) as whole seconds above 0, got {_shown(value)}")
    return str(value)


# A vendor sends the same limit header on every response: parsed once per value (the
# structured-field parser was ~5% of a probe's CPU). The result is only read.
@functools.lru_cache(maxsize=256)
def _parse_limit_list(value: str) -> tuple[dict[str, float], str | None]:
    """``75, 75;w=1, 750;w=60`` (draft 03-07) or ``"n";q=75;w=1`` (draft 08-10); the
    windows, and a note when some were dropped past MAX_WINDOWS."""
    limits: dict[str, float] = {}
    bare: list[float] = []
    dropped = 0
    for member, params in _structured(value, "list"):
        if isinstance(member, str):
            if "q" not in params:
                raise _HeaderError(f"expected a q= quota on policy {_shown(member)}")
            quota = _count(params["q"], "q= (quota)")
        elif isinstance(member, http_sf.Token):
            raise _HeaderError(
                f'expected a limit, or a quoted policy name like "default";q=100;w=60, '
                f"got {_shown(str(member))}"
            )
        else:
            quota = _count(member, "a limit")
        if "w" not in params:
            bare.append(quota)
            continue
        window = _window_label(params["w"])
        if window not in limits and len(limits) >= MAX_WINDOWS:
            dropped += 1
            continue
        limits[window] = min(quota, limits.get(window, quota))
    if not limits and bare:
        limits[UNSPECIFIED_WINDOW] = min(bare)
    if not limits:
        raise _HeaderError("expected at least one limit")
    note = f"{dropped} window(s) past the first {MAX_WINDOWS} dropped" if dropped else None
    return limits, note


_DRAFT_07_KEYS = ("limit", "remaining", "reset")


def _parse_combined(value: str) -> tuple[dict[str, float], float | None, float | None]:
    """``limit=100, remaining=50, reset=5`` (draft 07) or ``"steady";r=72;t=3`` (08-10)."""
    try:
        fields = _structured(value, "dictionary")
    except _HeaderError:
        fields = {}
    if any(key in fields for key in _DRAFT_07_KEYS):
        got = {key: _count(fields[key][0], key) for key in _DRAFT_07_KEYS if key in fields}
        limits = {UNSPECIFIED_WINDOW: got["limit"]} if "limit" in got else {}
        return limits, got.get("remaining"), got.get("reset")
    remaining = reset = None
    for member, params in _structured(value, "list"):
        if not isinstance(member, str) or "r" not in params:
            raise _HeaderError(
                'expected items like "default";r=50;t=30 (a quoted policy name and r= '
                f"remaining), got {_shown(value.strip())}"
            )
        r = _count(params["r"], "r= (remaining)")
        remaining = r if remaining is None else min(remaining, r)
        if "t" in params:
            t = _count(params["t"], "t= (reset seconds)")
            reset = t if reset is None else max(reset, t)
    return {}, remaining, reset


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
        except Exception as err:  # never raise: a refused header is flagged, not fatal
            message = str(err) if isinstance(err, _HeaderError) else type(err).__name__
            invalid.append(InvalidHeader(name, f"{name}: {message}"))
            return None

    for name in ("ratelimit-policy", "ratelimit-limit", "x-ratelimit-limit"):
        parsed = attempt(name, _parse_limit_list)
        if parsed:
            windows, note = parsed
            if note:
                invalid.append(InvalidHeader(name, f"{name}: {note}"))
            for window, quota in windows.items():
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

    for item in invalid:
        log.debug("rate-limit header refused", extra={"fields": {"problem": item.message}})
    info = RateLimitInfo(limits=limits, remaining=remaining, reset_seconds=reset)
    return ParsedRateLimit(info=None if info.is_empty() else info, invalid=tuple(invalid))


_USED_OF_LIMIT = re.compile(r"^\s*([0-9]{1,15})\s*/\s*([0-9]{1,15})\s*$")


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
                InvalidHeader(
                    name, f"{name}: expected used/limit like 32/40, got {_shown(view[name])}"
                )
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
