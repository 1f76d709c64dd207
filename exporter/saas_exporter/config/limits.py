"""``global.limits``: sizes in bytes or KiB/MiB/GiB, checked against what the HTTP client
can honour, into a ResponseLimits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .model import KIB, MIB, ResponseLimits

_UNITS = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": 1024 * MIB}
_SIZE = re.compile(r"^([1-9][0-9]{0,9})(B|KiB|MiB|GiB)$")
# The HTTP client refuses a header block past 100 KiB whatever we allow; a body past 1 GiB
# would be memory no exporter should spend on one answer.
CEILINGS = {"max_header_bytes": 100 * KIB, "max_body_bytes": 1024 * MIB}


def parse_size(value: int | str) -> int:
    """Bytes in ``1048576``, ``512KiB`` or ``4MiB`` (the schema has checked the form)."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"expected a size like 1048576, 512KiB or 4MiB, got {value!r}")
    return int(match[1]) * _UNITS[match[2]]


def build_limits(raw: Mapping[str, Any] | None) -> tuple[ResponseLimits, list[str]]:
    limits, problems = ResponseLimits(), []
    for name, value in (raw or {}).items():
        if name in CEILINGS:
            size = parse_size(value)
            if size > CEILINGS[name]:
                problems.append(
                    f"global.limits.{name}: {value} is over the most the exporter can honour "
                    f"({CEILINGS[name] // KIB} KiB)"
                )
                continue
            value = size
        limits = replace(limits, **{name: value})
    return limits, problems
