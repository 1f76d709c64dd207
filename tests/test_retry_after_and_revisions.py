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


# RFC 9110 section 5.6.7: a recipient MUST accept all three HTTP-date forms.
@pytest.mark.parametrize(
    "value",
    [
        "Mon, 26 Oct 2026 07:34:50 GMT",  # IMF-fixdate
        "Monday, 26-Oct-26 07:34:50 GMT",  # RFC 850
        "Mon Oct 26 07:34:50 2026",  # asctime (UTC)
    ],
)
def test_retry_after_in_every_http_date_form(value):
    assert parse_retry_after(value, NOW) == 90.0


def test_asctime_with_a_one_digit_day_as_rfc_9110_spells_it():
    # The sample from issue 12: a space-padded day.
    then = parse_retry_after("Mon Jun  3 11:30:12 2019", NOW)
    assert then == 0.0  # in the past: retry now
    assert parse_retry_after("Thu Nov  5 07:33:20 2026", NOW) == 10 * 86400.0


def test_rfc_850_year_more_than_50_years_ahead_is_in_the_past():
    # 2026 + 50 = 2076: "77" is 1977, "76" is 2076 (RFC 9110's rule for two-digit years).
    assert parse_retry_after("Sunday, 06-Nov-77 08:49:37 GMT", NOW) == 0.0
    assert parse_retry_after("Friday, 06-Nov-76 08:49:37 GMT", NOW) > 49 * 365 * 86400


@pytest.mark.parametrize("value", ["9" * 400, "99999999999", "00000000000000000000003"])
def test_huge_delays_are_finite_and_capped_at_2_pow_31(value):
    expected = 3.0 if value.endswith("3") else 2.0**31
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    "value", ["Mon, 30 Feb 2026 07:34:50 GMT", "Mon Oct 26 25:34:50 2026", "²", "١٢"]
)
def test_impossible_dates_and_non_ascii_digits_are_refused(value):
    with pytest.raises(ValueError, match="retry-after: expected delay-seconds"):
        parse_retry_after(value, NOW)
