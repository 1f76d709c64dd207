"""The silence plan, without Alertmanager: matchers, windows, what changes and why."""

from __future__ import annotations

from dataclasses import replace

from saas_exporter.probes.result import Maintenance
from saas_exporter.silences.model import CREATOR, ExistingSilence, Matcher, key_of, regex_literal
from saas_exporter.silences.plan import VendorFeed, desired, matchers, plan, window_end
from tests.conftest import api_vendor_config, klaviyo_config

NOW = 1_800_000_000.0
MARGIN = 600.0
KLAVIYO = klaviyo_config("http://api.test", "http://status.test").vendors[0]


def maintenance(ident="m1", components=("Klaviyo API",), status="scheduled", start=3600.0):
    return Maintenance(
        ident, f"Work {ident}", status, NOW + start, NOW + start + 3600, components, "https://n"
    )


def existing(want, silence_id="s1", state="pending", **changes):
    silence = ExistingSilence(
        id=silence_id,
        state=state,
        matchers=tuple(sorted(want.matchers)),
        starts_at=want.starts_at,
        ends_at=want.ends_at,
        created_by=CREATOR,
        comment=want.comment,
    )
    return replace(silence, **changes)


def test_regex_literals_are_escaped_for_alertmanager():
    assert regex_literal("Email (EU) v1.2|beta") == r"Email \(EU\) v1\.2\|beta"


def test_the_api_is_affected_by_its_component_by_no_component_or_on_a_page_without_api():
    api = Matcher("component", "|Klaviyo API", is_regex=True)
    assert api in matchers(KLAVIYO, maintenance())
    # A notice naming no component: the whole page, the API's alerts included.
    whole = matchers(KLAVIYO, maintenance(components=()))
    assert [m.name for m in whole] == ["cause", "silenceable_by", "vendor"]
    assert Matcher("component", "Analytics", is_regex=True) in matchers(
        KLAVIYO, maintenance(components=("Analytics",))
    )
    # Clay's page lists no API component: its indicator stands for the API.
    clay = api_vendor_config("clay", "http://clay.test", {"path": "/me"}).vendors[0]
    assert Matcher("component", "|Tables", is_regex=True) in matchers(
        clay, maintenance(components=("Tables",))
    )


def test_windows_are_widened_and_an_overrunning_maintenance_is_extended_in_steps():
    # Ended 55 minutes ago, still running.
    item = maintenance(start=-6900, status="in_progress")
    first = window_end(item, NOW, MARGIN)
    assert first == item.ends_at + MARGIN + 6 * MARGIN == NOW + MARGIN + 300
    # Runs within the same step ask for the same end: nothing to change.
    assert window_end(item, NOW + 240, MARGIN) == first
    assert window_end(item, NOW + 360, MARGIN) == first + MARGIN
    scheduled = maintenance(start=-7200)  # the vendor did not say it is running
    silences, skipped = desired(VendorFeed(KLAVIYO, "read", (scheduled,)), NOW, MARGIN)
    assert (silences, [(s.maintenance_id, s.why) for s in skipped]) == (
        [],
        [("m1", "its window has passed")],
    )


def test_no_window_is_not_silenced():
    item = replace(maintenance(), ends_at=None)
    silences, skipped = desired(VendorFeed(KLAVIYO, "read", (item,)), NOW, MARGIN)
    assert (silences, skipped[0].why) == ([], "the notice gives no window")


def test_plan_creates_updates_expires_and_keeps():
    feed = VendorFeed(
        KLAVIYO, "read", (maintenance("keep"), maintenance("move"), maintenance("new"))
    )
    (keep, move, _new), _ = desired(feed, NOW, MARGIN)
    gone = replace(keep, maintenance_id="gone", comment=keep.comment.replace("/keep]", "/gone]"))
    current = [
        existing(keep, "s-keep"),
        existing(keep, "s-dup"),
        existing(move, "s-move", ends_at=move.ends_at - 1800),
        existing(gone, "s-gone"),
        # Someone else's silence, and an expired one of ours: never touched.
        existing(keep, "s-other", created_by="alice"),
        existing(gone, "s-old", state="expired"),
    ]

    changes, _ = plan([feed], current, NOW, MARGIN)

    assert [
        (c.action, c.maintenance_id, c.existing.id if c.existing else None) for c in changes
    ] == [
        ("unchanged", "keep", "s-dup"),
        ("expire", "keep", "s-keep"),
        ("update", "move", "s-move"),
        ("create", "new", None),
        ("expire", "gone", "s-gone"),
    ]
    assert changes[1].why == "duplicate"
    assert changes[2].why.startswith("endsAt ")
    assert changes[4].why == "no longer announced (cancelled or completed)"


def test_a_started_silence_keeps_its_start():
    feed = VendorFeed(KLAVIYO, "read", (maintenance(status="in_progress", start=-60),))
    (want,), _ = desired(feed, NOW, MARGIN)
    # Alertmanager moved the past start to the moment it was created.
    started = existing(want, state="active", starts_at=NOW - 30)
    changes, _ = plan([feed], [started], NOW, MARGIN)
    assert [c.action for c in changes] == ["unchanged"]


def test_a_vendor_that_could_not_be_read_keeps_its_silences():
    feed = VendorFeed(KLAVIYO, "read", (maintenance(),))
    (want,), _ = desired(feed, NOW, MARGIN)
    unreadable = VendorFeed(KLAVIYO, "unreadable", error="status page: 503")
    assert plan([unreadable], [existing(want)], NOW, MARGIN) == ([], [])


def test_markers_round_trip_and_ignore_other_comments():
    feed = VendorFeed(KLAVIYO, "read", (maintenance("ab]c"),))
    (want,), _ = desired(feed, NOW, MARGIN)
    assert key_of(want.comment) == ("klaviyo", "ab)c")
    assert key_of("planned downtime, ask alice") is None
