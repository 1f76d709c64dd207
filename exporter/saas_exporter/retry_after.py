"""Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.

An HTTP-date comes in three forms, and RFC 9110 section 5.6.7 says a recipient MUST
accept all three:
    IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
    RFC 850      Sunday, 06-Nov-94 08:49:37 GMT   (two-digit year)
    asctime      Sun Nov  6 08:49:37 1994         (no zone: UTC)
The result is always finite: delay-seconds past 2^31 are read as 2^31, as RFC 9111
tells caches to do with delta-seconds they cannot represent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# However long a vendor asks, probe again after at most this (a daily-quota 429
# would otherwise blind the exporter for a day).
MAX_BACKOFF_SECONDS = 900.0
# The largest delay read (RFC 9111 section 1.2.2's 2^31 for unrepresentable values).
MAX_RETRY_AFTER_SECONDS = float(2**31)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = "(?P<month>" + "|".join(_MONTHS) + ")"
_TIME = r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
_FORMS = (
    re.compile(rf"^[a-z]{{3}}, (?P<day>\d\d) {_MONTH} (?P<year>\d{{4}}) {_TIME} gmt$"),
    re.compile(rf"^[a-z]{{6,9}}, (?P<day>\d\d)-{_MONTH}-(?P<year>\d\d) {_TIME} gmt$"),
    re.compile(rf"^[a-z]{{3}} {_MONTH} (?P<day>[\d ]\d) {_TIME} (?P<year>\d{{4}})$"),
)
_DELAY = re.compile(r"^[0-9]+$")


def _expected(text: str) -> ValueError:
    shown = text if len(text) <= 60 else text[:60] + "..."
    return ValueError(
        "retry-after: expected delay-seconds or an HTTP-date "
        f"(e.g. 'Wed, 21 Oct 2026 07:28:00 GMT'), got {shown!r}"
    )


def _two_digit_year(yy: int, now: float) -> int:
    """RFC 9110: a year more than 50 years ahead is the latest past one with those digits."""
    this_year = datetime.fromtimestamp(now, UTC).year
    year = this_year - this_year % 100 + yy
    return year - 100 if year > this_year + 50 else year


def parse_http_date(text: str, now: float) -> datetime | None:
    """The moment an HTTP-date names, in UTC; None when ``text`` is not one."""
    lowered = text.strip().lower()
    for form in _FORMS:
        match = form.match(lowered)
        if match is None:
            continue
        year = int(match["year"])
        if len(match["year"]) == 2:
            year = _two_digit_year(year, now)
        try:
            return datetime(
                year,
                _MONTHS.index(match["month"]) + 1,
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=UTC,
            )
        except ValueError:  # 30 February, hour 25
            return None
    # Near misses some servers send (a numeric zone, no weekday): accepted when the zone
    # is explicit.
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when is not None and when.tzinfo is not None else None


def parse_retry_after(value: str, now: float) -> float:
    """Seconds to wait from ``now`` (finite, at most 2^31); ValueError naming what was
    expected when ``value`` is neither form. Nothing else is ever raised."""
    text = value.strip()
    if _DELAY.match(text):
        # Compare digits, not floats: a 400-digit value must not become infinity.
        if len(text.lstrip("0")) > 10:
            return MAX_RETRY_AFTER_SECONDS
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    when = parse_http_date(text, now)
    if when is None:
        raise _expected(text)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER_SECONDS)


def backoff_seconds(retry_after: float) -> float:
    return min(retry_after, MAX_BACKOFF_SECONDS)
