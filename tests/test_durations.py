"""The one duration grammar (Prometheus's) shared by config, table, drill and on-call."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saas_exporter.durations import format_duration, parse_duration, parse_positive_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("10m", 600.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("0s", 0.0),
    ],
)
def test_prometheus_durations_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "1.5s", "5 m", "m", "1s1m", "-1s", "30sec", "1M"])
def test_anything_else_is_refused_naming_the_grammar(text):
    with pytest.raises(ValueError) as err:
        parse_duration(text)
    assert str(err.value) == (
        f"expected a duration like 500ms, 30s, 1m30s, 10m or 2h, got {text!r}"
    )


def test_non_strings_and_zero_where_positive_is_needed_are_refused():
    with pytest.raises(ValueError, match="got 30"):
        parse_duration(30)
    with pytest.raises(ValueError, match="expected a positive duration"):
        parse_positive_duration("0s")


def test_absurdly_long_numbers_are_refused():
    with pytest.raises(ValueError, match="too long"):
        parse_duration("9" * 40 + "s")


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "1m30s"), (0.5, "500ms"), (86400, "1d"), (0, "0s")]
)
def test_format_gives_the_shortest_prometheus_form(seconds, text):
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**10))
def test_format_and_parse_round_trip(millis):
    assert parse_duration(format_duration(millis / 1000)) == pytest.approx(millis / 1000)


@given(st.text(max_size=20))
def test_parse_never_raises_anything_but_value_error(text):
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert seconds >= 0
