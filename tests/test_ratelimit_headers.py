import pytest

from saas_exporter.ratelimit_headers import UNSPECIFIED_WINDOW, parse_rate_limit_headers

NOW = 1_800_000_000.0


def parse(headers):
    return parse_rate_limit_headers(headers, NOW)


def test_klaviyo_multi_window_headers_as_recorded():
    parsed = parse(
        {"ratelimit-limit": "1, 1;w=1, 15;w=60", "ratelimit-remaining": "0", "ratelimit-reset": "0"}
    )
    assert parsed.info.limits == {"1": 1.0, "60": 15.0}
    assert parsed.info.remaining == 0.0
    assert parsed.info.reset_seconds == 0.0
    assert parsed.invalid == ()


def test_daily_window_and_mixed_case_names():
    parsed = parse(
        {
            "RateLimit-Limit": "75, 75;w=1, 750;w=60, 30;w=86400",
            "RateLimit-Remaining": "72",
            "RateLimit-Reset": "3",
        }
    )
    assert parsed.info.limits == {"1": 75.0, "60": 750.0, "86400": 30.0}
    assert (parsed.info.remaining, parsed.info.reset_seconds) == (72.0, 3.0)


def test_policy_header_draft_03_to_07():
    parsed = parse({"ratelimit-policy": "100;w=60, 1000;w=3600", "ratelimit-remaining": "7"})
    assert parsed.info.limits == {"60": 100.0, "3600": 1000.0}
    assert parsed.info.remaining == 7.0


def test_structured_policy_and_ratelimit_draft_08_and_later():
    parsed = parse(
        {
            "RateLimit-Policy": '"burst";q=75;w=1, "steady";q=750;w=60',
            "RateLimit": '"steady";r=72;t=3',
        }
    )
    assert parsed.info.limits == {"1": 75.0, "60": 750.0}
    assert (parsed.info.remaining, parsed.info.reset_seconds) == (72.0, 3.0)


def test_combined_ratelimit_header_draft_07():
    parsed = parse({"RateLimit": "limit=100, remaining=50, reset=5"})
    assert parsed.info.limits == {UNSPECIFIED_WINDOW: 100.0}
    assert (parsed.info.remaining, parsed.info.reset_seconds) == (50.0, 5.0)


def test_x_ratelimit_headers_with_epoch_reset():
    parsed = parse(
        {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "12",
            "X-RateLimit-Reset": str(int(NOW) + 42),
        }
    )
    assert parsed.info.limits == {UNSPECIFIED_WINDOW: 60.0}
    assert parsed.info.remaining == 12.0
    assert parsed.info.reset_seconds == 42.0


def test_x_ratelimit_reset_as_seconds():
    assert parse({"x-ratelimit-reset": "17"}).info.reset_seconds == 17.0


def test_no_headers_is_normal():
    parsed = parse({"content-type": "application/json"})
    assert parsed.info is None
    assert parsed.invalid == ()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"ratelimit-limit": "lots"},
            'ratelimit-limit: expected a limit, or a quoted policy name like "default";q=100;'
            "w=60, got 'lots'",
        ),
        (
            {"ratelimit-limit": "10;w=abc"},
            "ratelimit-limit: expected w= (window) as whole seconds above 0, got 'abc'",
        ),
        (
            {"ratelimit-limit": "10;w"},
            "ratelimit-limit: expected w= (window) as whole seconds above 0, got 'True'",
        ),
        (
            {"ratelimit-remaining": "-1"},
            "ratelimit-remaining: expected remaining as a non-negative number, got '-1'",
        ),
        (
            {"ratelimit-reset": ""},
            "ratelimit-reset: expected reset seconds as a non-negative number, got ''",
        ),
        (
            {"ratelimit": "limit=ten, remaining=5"},
            "ratelimit: expected limit as a non-negative number, got 'ten'",
        ),
        (
            {"ratelimit-policy": '"steady";w=60'},
            "ratelimit-policy: expected a q= quota on policy 'steady'",
        ),
        # A 309-digit window once overflowed to a crash; Structured Fields cap at 15.
        (
            {"ratelimit-policy": "1;w=" + "9" * 309},
            "ratelimit-policy: not a structured list (Integer too long), got "
            "'1;w=" + "9" * 56 + "...'",
        ),
        # Draft 10: a policy name is a quoted String and r= is required.
        (
            {"ratelimit": "quota;t=1"},
            'ratelimit: expected items like "default";r=50;t=30 (a quoted policy name and '
            "r= remaining), got 'quota;t=1'",
        ),
        (
            {"ratelimit-policy": "quota;q=10;w=60"},
            'ratelimit-policy: expected a limit, or a quoted policy name like "default";q=100;'
            "w=60, got 'quota'",
        ),
        (
            {"ratelimit-remaining": "1e400"},
            "ratelimit-remaining: expected remaining as a non-negative number, got '1e400'",
        ),
    ],
)
def test_garbage_is_reported_by_header_and_skipped(headers, message):
    parsed = parse({**headers, "ratelimit-remaining": headers.get("ratelimit-remaining", "5")})
    assert [item.message for item in parsed.invalid] == [message]
    # The good header still counts; the broken one is skipped, never fatal.
    if "ratelimit-remaining" not in headers:
        assert parsed.info.remaining == 5.0


def test_one_bad_header_does_not_hide_the_others():
    parsed = parse(
        {
            "ratelimit-limit": "75, 75;w=1, 750;w=60",
            "ratelimit-remaining": "many",
            "ratelimit-reset": "2",
        }
    )
    assert parsed.info.limits == {"1": 75.0, "60": 750.0}
    assert parsed.info.remaining is None
    assert parsed.info.reset_seconds == 2.0
    assert [i.header for i in parsed.invalid] == ["ratelimit-remaining"]


def test_draft_10_fields_with_partition_keys_and_units():
    parsed = parse(
        {
            "RateLimit-Policy": '"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:',
            "RateLimit": '"default";r=999;pk=:dHJpYWwxMjEzMjM=:, "burst";r=3;t=7',
        }
    )
    assert parsed.info.limits == {"10": 65535.0}
    assert (parsed.info.remaining, parsed.info.reset_seconds) == (3.0, 7.0)
    assert parsed.invalid == ()


def test_windows_past_the_cap_are_dropped_and_flagged():
    policies = ", ".join(f'"p{i}";q={i};w={i}' for i in range(1, 13))
    parsed = parse({"ratelimit-policy": policies})
    assert list(parsed.info.limits) == [str(i) for i in range(1, 9)]
    assert [i.message for i in parsed.invalid] == [
        "ratelimit-policy: 4 window(s) past the first 8 dropped"
    ]
