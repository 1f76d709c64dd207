from datetime import date

import pytest

from saas_exporter.retry_after import MAX_BACKOFF_SECONDS, backoff_seconds, parse_retry_after
from saas_exporter.revisions import RevisionLifecycle, revision_lifecycle

NOW = 1_793_000_000.0  # 2026-10-26T07:33:20Z


def test_retry_after_seconds():
    assert parse_retry_after("1", NOW) == 1.0
    assert parse_retry_after(" 120 ", NOW) == 120.0


def test_retry_after_http_date():
    # NOW is 07:33:20Z; 90 s later:
    assert parse_retry_after("Mon, 26 Oct 2026 07:34:50 GMT", NOW) == 90.0


def test_retry_after_http_date_in_the_past_is_zero():
    assert parse_retry_after("Mon, 26 Oct 2026 07:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "Mon, 99 Foo 2026"])
def test_retry_after_garbage_says_what_was_expected(value):
    with pytest.raises(ValueError) as err:
        parse_retry_after(value, NOW)
    assert str(err.value) == (
        "retry-after: expected delay-seconds or an HTTP-date "
        f"(e.g. 'Wed, 21 Oct 2026 07:28:00 GMT'), got {value!r}"
    )


def test_backoff_is_capped_at_15_minutes():
    assert MAX_BACKOFF_SECONDS == 900.0
    assert backoff_seconds(86400) == 900.0
    assert backoff_seconds(30) == 30


def test_revision_lifecycle():
    life = revision_lifecycle("2026-07-15")
    assert (life.released, life.deprecated, life.retired) == (
        date(2026, 7, 15),
        date(2027, 7, 15),
        date(2028, 7, 15),
    )
    assert RevisionLifecycle.timestamp(life.retired) == 1847232000.0


def test_beta_revision_and_leap_day():
    assert revision_lifecycle("2024-02-29.pre").retired == date(2026, 2, 28)


def test_bad_revision():
    with pytest.raises(
        ValueError, match=r"expected a revision like 2026-07-15 \(optionally .pre\), got 'v3'"
    ):
        revision_lifecycle("v3")
