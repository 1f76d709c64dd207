"""JSON from someone we do not trust: bounded nesting, bounded numbers, finite floats.

``json.loads`` alone turns a body nested 100,000 deep into a RecursionError, a
5,000-digit number into a ValueError that is not a JSONDecodeError (or into a
4,000-digit int that every later operation pays for), and ``1e999`` into infinity.
``loads`` here raises one exception type, ``JSONRejected`` (a ValueError), whose message
says what was wrong, and never anything else. The vendor probes and the webhook
verifier both read JSON through it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deeper than any API document we read (JSON:API, Statuspage) by a wide margin.
MAX_DEPTH = 64
# A 64-bit id has 20 digits; a decimal with a long fraction stays well under this.
MAX_NUMBER_CHARS = 40

# A JSON string (quotes, escapes): removed before counting brackets.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS_ONLY = bytes(set(range(256)) - set(b"[]{}"))
_INNERMOST = re.compile(rb"\[\]|\{\}")


class JSONRejected(ValueError):
    """The text is not JSON (``syntax``), or is JSON beyond the bounds; the message says
    which, as a phrase to follow "body" ("is nested deeper than 64 levels")."""

    def __init__(self, message: str, syntax: bool = False):
        super().__init__(message)
        self.syntax = syntax


def _depth_exceeds(data: bytes, max_depth: int) -> bool:
    """True when brackets nest deeper than ``max_depth``. Linear passes in C: strip
    strings, keep brackets, then peel the innermost pairs once per level."""
    brackets = _STRING.sub(b"", data).translate(None, _BRACKETS_ONLY)
    for _ in range(max_depth):
        if not brackets:
            return False
        peeled = _INNERMOST.sub(b"", brackets)
        if peeled == brackets:  # unbalanced: json.loads reports it
            return False
        brackets = peeled
    return bool(brackets)


def _bounded_number(text: str, convert):
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONRejected(f"has a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return convert(text)


def _finite_float(text: str) -> float:
    value = _bounded_number(text, float)
    if not math.isfinite(value):
        raise JSONRejected(f"has a number out of range ({text[:20]})")
    return value


def _no_constant(name: str) -> Any:
    raise JSONRejected(f"has {name}, which is not a JSON number")


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value; JSONRejected (naming the problem) for anything else."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if _depth_exceeds(raw, max_depth):
        raise JSONRejected(f"is nested deeper than {max_depth} levels")
    try:
        # RFC 8259: JSON between systems is UTF-8 (json.loads would also guess UTF-16/32).
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JSONRejected("is not UTF-8 text", syntax=True) from None
    try:
        return json.loads(
            text,
            parse_int=lambda t: _bounded_number(t, int),
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except JSONRejected:
        raise
    except RecursionError:
        raise JSONRejected(f"is nested deeper than {max_depth} levels") from None
    except ValueError as err:
        raise JSONRejected(f"is not JSON ({err})", syntax=True) from None
