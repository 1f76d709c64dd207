"""Klaviyo API revision lifecycle: stable 1 year, deprecated the next, retired at 2."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

REVISION_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.pre)?$")


@dataclass(frozen=True)
class RevisionLifecycle:
    revision: str
    released: date
    deprecated: date
    retired: date

    @staticmethod
    def timestamp(day: date) -> float:
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def revision_lifecycle(revision: str) -> RevisionLifecycle:
    match = REVISION_PATTERN.match(revision)
    if not match:
        raise ValueError(f"expected a revision like 2026-07-15 (optionally .pre), got {revision!r}")
    released = date(int(match[1]), int(match[2]), int(match[3]))
    return RevisionLifecycle(revision, released, _add_years(released, 1), _add_years(released, 2))
