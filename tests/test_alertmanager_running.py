"""The shipped Alertmanager config on a real Alertmanager: inhibition, business hours
and the rendered Slack, PagerDuty and status-page text, captured by a local server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from saas_tools.checkout import Checkout
from saas_tools.drill.notifications import slack_fields
from saas_tools.stack import alertmanager_api as api
from saas_tools.stack.capture import CaptureServer, Delivery
from saas_tools.stack.configs import GroupTimers, write_capture_alertmanager_config
from saas_tools.stack.polling import poll
from saas_tools.stack.processes import Server, start_alertmanager

from tests.conftest import REPO

# Within Alertmanager's retention (120h by default): an older alert may be garbage-collected
# before its notification is sent. Whole minutes, so the rendered times are stable.
START = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(second=0, microsecond=0)


def at(minutes: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return (START + dt.timedelta(minutes=minutes)).strftime(fmt)


def timed(text: str) -> str:
    """The expected text with the times of this run (START is relative to now)."""
    return (
        text.replace("<start+15m clock>", at(15, "%H:%M"))
        .replace("<start+30m>", at(30))
        .replace("<start>", at(0))
    )


RUNBOOKS = "https://runbooks.example.com/saas-exporter"
DASHBOARD = "https://grafana.example.com/d/saas-incident-overview/saas-incident-overview"


def alert(alertname: str, priority: str, ends_at: dt.datetime | None = None, **labels: str):
    vendor = labels.setdefault("vendor", "klaviyo")
    labels.setdefault("cause", "integration")
    body = {
        "labels": {"alertname": alertname, "priority": priority, **labels},
        "annotations": {
            "summary": f"{alertname} summary.",
            "description": f"{alertname} on {labels.get('account', 'the vendor')}"
            f"{' via ' + labels['probe'] if 'probe' in labels else ''}.",
            "runbook_url": f"{RUNBOOKS}/{vendor}/{alertname}.md",
            "dashboard_url": f"{DASHBOARD}?var-vendor={vendor}",
        },
        "startsAt": api.rfc3339(START),
    }
    if ends_at is not None:
        body["endsAt"] = api.rfc3339(ends_at)
    return body


class Harness:
    def __init__(self, am: Server, capture: CaptureServer):
        self.am = am
        self.capture = capture

    def wait_deliveries(self, count: int, path: str | None = None) -> list[Delivery]:
        def enough() -> list[Delivery] | None:
            found = [d for d in self.capture.deliveries() if path is None or d.path == path]
            return found if len(found) >= count else None

        return poll(
            enough, 20, f"{count} deliveries to {path or 'any receiver'}",
            describe=lambda: str([d.path for d in self.capture.deliveries()]),
        )  # fmt: skip

    def wait_delivery(self, path: str, what: str, matches: Callable[[Delivery], bool]) -> Delivery:
        """The first delivery to `path` that `matches`. Alertmanager flushes a new group at
        once when its alert started more than group_wait ago (these alerts started an
        hour ago), so the other alerts of the same POST may come in the group's next
        notification, a group_interval later: wait for the one that holds them all."""

        def found() -> Delivery | None:
            return next((d for d in self.at(path) if matches(d)), None)

        return poll(
            found, 20, f"{what} at {path}",
            describe=lambda: str([d.body for d in self.at(path)]),
        )  # fmt: skip

    def at(self, path: str) -> list[Delivery]:
        return [d for d in self.capture.deliveries() if d.path == path]


def slack_lists(count: int) -> Callable[[Delivery], bool]:
    """A Slack message that lists `count` alerts, firing or resolved."""
    return lambda d: d.body["attachments"][0]["text"].count("\n• ") == count


def slack_resolved(d: Delivery) -> bool:
    return "RESOLVED" in d.body["attachments"][0]["title"]


def pagerduty_firing(count: int) -> Callable[[Delivery], bool]:
    return lambda d: d.body["payload"]["summary"].endswith(f" {count} firing.")


def pagerduty_resolve(d: Delivery) -> bool:
    return d.body["event_action"] == "resolve"


@contextmanager
def start(tmp_path, **options) -> Iterator[Harness]:
    capture = CaptureServer().start()
    config = write_capture_alertmanager_config(
        tmp_path / "alertmanager.yml",
        capture.base_url,
        Checkout(REPO).alertmanager_config,
        # 1 s waits; the alerts here started an hour ago, so a new group is flushed at once
        # whatever its group_wait (Harness.wait_delivery).
        timers=GroupTimers(),
        **options,
    )
    am = start_alertmanager(config, tmp_path, log_level="debug")
    try:
        yield Harness(am, capture)
    finally:
        am.stop()
        capture.stop()


@pytest.fixture
def harness(tmp_path) -> Iterator[Harness]:
    with start(tmp_path, always_business_hours=True) as harness:
        yield harness


def test_a_p1_inhibits_lower_priorities_of_its_vendor_and_account_only(harness):
    p1 = alert("SaasProbeAuthFailing", "P1", account="main", probe="accounts")
    same_account = [
        alert("SaasProbeRateLimited", "P2", account="main", probe="profiles"),
        alert("SaasRateLimitHeadroomLow", "P3", account="main"),
        alert("SaasProbesStale", "P4", account="main", probe="profiles"),
    ]
    other_p1 = alert("SaasProbeUnreachable", "P1", account="other", probe="profiles")
    others = [
        alert("SaasProbeRateLimited", "P2", account="other", probe="profiles"),
        alert("SaasProbeRateLimited", "P2", vendor="clay", account="main", probe="api"),
        alert("SaasVendorIncidentMajor", "P2", cause="vendor"),  # vendor-wide: no account
    ]
    # The P1s first, as in an incident: inhibition applies once the source is known.
    api.post_alerts(harness.am.url, [p1, other_p1])
    poll(lambda: len(api.alerts(harness.am.url, priority="P1")) == 2, 10, "the P1s")
    api.post_alerts(harness.am.url, [*same_account, *others])

    def states() -> dict[tuple[str, str, str], tuple[str, int]]:
        return {
            (a["labels"]["vendor"], a["labels"].get("account", ""), a["labels"]["alertname"]): (
                a["status"]["state"],
                len(a["status"]["inhibitedBy"]),
            )
            for a in api.alerts(harness.am.url)
        }

    expected = {
        ("klaviyo", "main", "SaasProbeAuthFailing"): ("active", 0),
        ("klaviyo", "main", "SaasProbeRateLimited"): ("suppressed", 1),
        ("klaviyo", "main", "SaasRateLimitHeadroomLow"): ("suppressed", 1),
        ("klaviyo", "main", "SaasProbesStale"): ("suppressed", 1),
        ("klaviyo", "other", "SaasProbeRateLimited"): ("suppressed", 1),
        ("clay", "main", "SaasProbeRateLimited"): ("active", 0),
        ("klaviyo", "", "SaasVendorIncidentMajor"): ("active", 0),
        ("klaviyo", "other", "SaasProbeUnreachable"): ("active", 0),
    }
    poll(lambda: states() == expected, 20, "inhibition states", describe=lambda: str(states()))
    # The P1 of another account inhibits that account's P2: scoped by account too.
    (source,) = {
        fp
        for a in api.alerts(harness.am.url, vendor="klaviyo", account="main")
        for fp in a["status"]["inhibitedBy"]
    }
    (main_p1,) = api.alerts(harness.am.url, alertname="SaasProbeAuthFailing")
    assert source == main_p1["fingerprint"]

    # Active groups are delivered; suppressed ones never are. Every active alert is its
    # own group (vendor, account, alertname): two P1 pages, two P2 pages, each with Slack.
    deliveries = harness.wait_deliveries(8)
    delivered = sorted((d.path, d.body.get("payload", {}).get("summary", "")) for d in deliveries)
    assert [path for path, _ in delivered] == [
        "/pagerduty/p1-page-high",
        "/pagerduty/p1-page-high",
        "/pagerduty/p2-page-low",
        "/pagerduty/p2-page-low",
        "/slack/saas-incidents",
        "/slack/saas-incidents",
        "/slack/saas-incidents",
        "/slack/saas-incidents",
    ]
    summaries = [s.split(":")[0] for p, s in delivered if p.startswith("/pagerduty/")]
    assert summaries == [
        "P1 Klaviyo account main",
        "P1 Klaviyo account other",
        "P2 Clay account main",
        "P2 Klaviyo",
    ]


def test_a_vendor_wide_failure_is_one_page_not_one_per_account(harness):
    wide = alert("SaasVendorWideFailure", "P1", cause="vendor", reason_class="server_side")
    explained = [
        alert("SaasProbeUnreachable", "P1", cause="vendor", account=a, probe="profiles")
        for a in ("main", "eu", "us")
    ]
    not_explained = [
        # Another kind of failure of the same vendor, and another vendor's outage.
        alert("SaasProbeAuthFailing", "P1", account="eu", probe="profiles", reason="auth"),
        alert("SaasProbeUnreachable", "P1", vendor="clay", account="main", probe="api"),
    ]
    api.post_alerts(harness.am.url, [wide])
    poll(lambda: api.alerts(harness.am.url, alertname="SaasVendorWideFailure"), 10, "source")
    api.post_alerts(harness.am.url, [*explained, *not_explained])

    def states() -> dict[tuple[str, str, str], str]:
        return {
            (a["labels"]["vendor"], a["labels"].get("account", ""), a["labels"]["alertname"]): (
                a["status"]["state"]
            )
            for a in api.alerts(harness.am.url)
        }

    expected = {
        ("klaviyo", "", "SaasVendorWideFailure"): "active",
        ("klaviyo", "main", "SaasProbeUnreachable"): "suppressed",
        ("klaviyo", "eu", "SaasProbeUnreachable"): "suppressed",
        ("klaviyo", "us", "SaasProbeUnreachable"): "suppressed",
        ("klaviyo", "eu", "SaasProbeAuthFailing"): "active",
        ("clay", "main", "SaasProbeUnreachable"): "active",
    }
    poll(lambda: states() == expected, 20, "inhibition states", describe=lambda: str(states()))
    pages = harness.wait_deliveries(3, "/pagerduty/p1-page-high")
    summaries = sorted(d.body["payload"]["summary"].split(". ")[0] for d in pages)
    assert summaries == [
        "P1 Clay account main: SaasProbeUnreachable: SaasProbeUnreachable summary",
        "P1 Klaviyo account eu: SaasProbeAuthFailing: SaasProbeAuthFailing summary",
        "P1 Klaviyo: SaasVendorWideFailure: SaasVendorWideFailure summary",
    ]


P1_TEXT = """\
*Priority:* P1, complete outage, respond within 15 minutes
*Status:* INVESTIGATING
*Impact:* SaasProbeAuthFailing summary.
• SaasProbeAuthFailing on main via accounts.
• SaasProbeAuthFailing on main via profiles.
*Cause:* ours (integration): our key, configuration or use of the Klaviyo API
*Current action:* check the key, configuration and recent changes (runbook)
*Next update:* by <start+15m clock> UTC (15 minutes after the start)
*Incident commander:* @<incident-commander>
*Runbook:* https://runbooks.example.com/saas-exporter/klaviyo/SaasProbeAuthFailing.md
*Dashboard:* https://grafana.example.com/d/saas-incident-overview/saas-incident-overview?var-vendor=klaviyo
*Status page draft (paste once user impact is confirmed):*
```
Klaviyo integration issue

We are experiencing issues with our Klaviyo integration. Some users may notice that features \
using Klaviyo are unavailable.
We are actively investigating and will provide updates here.

Last updated: <start> UTC
```"""

P1_RESOLVED_TEXT = """\
*Priority:* P1, complete outage, respond within 15 minutes
*Status:* RESOLVED
*Impact:* SaasProbeAuthFailing summary.
• resolved: SaasProbeAuthFailing on main via accounts.
• resolved: SaasProbeAuthFailing on main via profiles.
*Cause:* ours (integration): our key, configuration or use of the Klaviyo API
*Current action:* none: confirm recovery, then write the postmortem
*Next update:* none, resolved
*Incident commander:* @<incident-commander>
*Runbook:* https://runbooks.example.com/saas-exporter/klaviyo/SaasProbeAuthFailing.md
*Dashboard:* https://grafana.example.com/d/saas-incident-overview/saas-incident-overview?var-vendor=klaviyo
*Status page draft (paste once user impact is confirmed):*
```
Resolved: Klaviyo integration issue

The issue affecting our Klaviyo integration has been resolved. Features that use Klaviyo \
are working normally again.

Last updated: <start+30m> UTC
```"""


def test_p1_renders_the_runbook_slack_template_and_pagerduty_summary_then_resolves(harness):
    firing = [
        alert("SaasProbeAuthFailing", "P1", account="main", probe=probe, severity="critical")
        for probe in ("accounts", "profiles")
    ]
    api.post_alerts(harness.am.url, firing)
    slack = harness.wait_delivery("/slack/saas-incidents", "both alerts", slack_lists(2))
    pagerduty = harness.wait_delivery("/pagerduty/p1-page-high", "both", pagerduty_firing(2))
    (attachment,) = slack.body["attachments"]
    assert slack.body["channel"] == "#saas-incidents"
    assert attachment["title"] == (
        "🔴 P1 INCIDENT: Klaviyo integration, SaasProbeAuthFailing (account main)"
    )
    assert attachment["title_link"] == f"{RUNBOOKS}/klaviyo/SaasProbeAuthFailing.md"
    assert attachment["color"] == "danger"
    assert attachment["text"] == timed(P1_TEXT)

    assert pagerduty.body["routing_key"] == "drill-routing-key"
    assert pagerduty.body["event_action"] == "trigger"
    payload = pagerduty.body["payload"]
    assert payload["summary"] == (
        "P1 Klaviyo account main: SaasProbeAuthFailing: SaasProbeAuthFailing summary. "
        "Cause: integration. 2 firing."
    )
    assert payload["severity"] == "critical"
    assert (payload["class"], payload["component"], payload["group"]) == (
        "SaasProbeAuthFailing", "klaviyo", "main",
    )  # fmt: skip
    details = payload["custom_details"]
    assert {k: details[k] for k in ("priority", "cause", "vendor", "account", "runbook")} == {
        "priority": "P1",
        "cause": "integration",
        "vendor": "klaviyo",
        "account": "main",
        "runbook": f"{RUNBOOKS}/klaviyo/SaasProbeAuthFailing.md",
    }
    assert details["status_page_draft"] == timed(P1_TEXT).split("```")[1].strip("\n")
    assert [link["text"] for link in pagerduty.body["links"]] == ["Runbook", "Dashboard"]

    ended = START + dt.timedelta(minutes=30)
    api.post_alerts(harness.am.url, [{**a, "endsAt": api.rfc3339(ended)} for a in firing])
    resolved_slack = harness.wait_delivery("/slack/saas-incidents", "resolved", slack_resolved)
    resolved_pd = harness.wait_delivery("/pagerduty/p1-page-high", "resolve", pagerduty_resolve)
    (attachment,) = resolved_slack.body["attachments"]
    assert attachment["title"] == (
        "✅ P1 RESOLVED: Klaviyo integration, SaasProbeAuthFailing (account main)"
    )
    assert attachment["color"] == "good"
    assert attachment["text"] == timed(P1_RESOLVED_TEXT)
    assert resolved_pd.body["event_action"] == "resolve"
    assert resolved_pd.body["dedup_key"] == pagerduty.body["dedup_key"]


def test_p3_vendor_side_goes_to_the_ticket_queue_and_the_alerts_channel(harness):
    api.post_alerts(
        harness.am.url,
        [
            alert(
                "SaasVendorComponentDegraded", "P3", vendor="clay", cause="vendor", component="API"
            )
        ],
    )
    (slack,) = harness.wait_deliveries(1, "/slack/saas-alerts")
    (ticket,) = harness.wait_deliveries(1, "/webhook/p3-ticket")
    (attachment,) = slack.body["attachments"]
    assert attachment["title"] == "🟡 P3 ALERT: Clay integration, SaasVendorComponentDegraded"
    assert attachment["color"] == "warning"
    assert attachment["text"] == (
        "*Priority:* P3, minor impact, respond within 4 hours\n"
        "*Status:* INVESTIGATING\n"
        "*Impact:* SaasVendorComponentDegraded summary.\n"
        "• SaasVendorComponentDegraded on the vendor.\n"
        "*Cause:* vendor-side: on Clay's side (its status page, or most of our accounts failing "
        "alike)\n"
        "*Current action:* enable the integration's fallback and follow the vendor's status page\n"
        f"*Next update:* by {at(240, '%H:%M')} UTC (4 hours after the start)\n"
        "*Incident commander:* @<incident-commander>\n"
        f"*Runbook:* {RUNBOOKS}/clay/SaasVendorComponentDegraded.md\n"
        f"*Dashboard:* {DASHBOARD}?var-vendor=clay"
    )
    assert ticket.body["receiver"] == "p3-ticket"
    assert ticket.body["status"] == "firing"
    assert ticket.body["commonLabels"] == {
        "alertname": "SaasVendorComponentDegraded",
        "priority": "P3",
        "vendor": "clay",
        "cause": "vendor",
        "component": "API",
    }
    assert not [d for d in harness.capture.deliveries() if d.kind == "pagerduty"]


def test_p4_is_a_non_paging_message_in_business_hours(harness):
    api.post_alerts(
        harness.am.url, [alert("SaasStatusPageUnreachable", "P4", cause="infrastructure")]
    )
    (slack,) = harness.wait_deliveries(1, "/slack/saas-alerts")
    (attachment,) = slack.body["attachments"]
    assert attachment["title"] == "🔵 P4 ALERT: Klaviyo integration, SaasStatusPageUnreachable"
    assert attachment["color"] == "#439FE0"
    lines = attachment["text"].splitlines()
    assert lines[0] == "*Priority:* P4, no user impact, respond next business day"
    assert lines[4] == "*Cause:* ours (infrastructure): our network, hosts or monitoring"
    assert lines[6] == "*Next update:* next business day"
    assert [d.path for d in harness.capture.deliveries()] == ["/slack/saas-alerts"]


def test_p4_outside_business_hours_waits_while_p3_is_delivered(tmp_path):
    # Business hours on a weekday that is not today: now is outside them.
    other_day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%A").lower()
    with start(tmp_path, always_business_hours=False, business_days=[other_day]) as harness:
        api.post_alerts(
            harness.am.url,
            [
                alert("SaasStatusPageUnreachable", "P4", cause="infrastructure"),
                alert("SaasRateLimitHeadroomLow", "P3", account="main"),
            ],
        )
        harness.wait_deliveries(1, "/slack/saas-alerts")
        muted = "Notifications not sent, route is not within active time"
        # Two flushes of the P4 group, both muted by the time interval.
        poll(lambda: harness.am.log_text().count(muted) >= 2, 20, "the P4 route to be muted")
        paths = sorted(d.path for d in harness.capture.deliveries())
        assert paths == ["/slack/saas-alerts", "/webhook/p3-ticket"]
        (slack,) = [d for d in harness.capture.deliveries() if d.kind == "slack"]
        assert slack.body["attachments"][0]["title"].startswith("🟡 P3 ALERT")


def test_cause_is_that_of_the_firing_alerts_then_of_the_last_resolved(harness):
    # An earlier outage that was ours, resolved minutes ago (Prometheus keeps resending
    # it), in the same group as a vendor-side one: the message speaks of the current one.
    earlier = alert(
        "SaasProbeUnreachable", "P1", account="main", probe="accounts",
        ends_at=START + dt.timedelta(minutes=10),
    )  # fmt: skip
    current = alert("SaasProbeUnreachable", "P1", account="main", probe="profiles", cause="vendor")
    # The firing one first: if Alertmanager flushed the new group (at once, its alerts
    # being old) with the resolved one alone, it would send nothing, drop that alert, and
    # never list it; after the firing one, the resolved one comes in the next message.
    api.post_alerts(harness.am.url, [current, earlier])
    firing = harness.wait_delivery("/slack/saas-incidents", "both alerts", slack_lists(2))
    lines = firing.body["attachments"][0]["text"].splitlines()
    assert lines[3:6] == [
        "• SaasProbeUnreachable on main via profiles.",
        "• resolved: SaasProbeUnreachable on main via accounts.",
        "*Cause:* vendor-side: on Klaviyo's side (its status page, or most of our accounts "
        "failing alike)",
    ]
    api.post_alerts(
        harness.am.url, [{**current, "endsAt": api.rfc3339(START + dt.timedelta(minutes=40))}]
    )
    resolved = harness.wait_delivery("/slack/saas-incidents", "resolved", slack_resolved)
    text = resolved.body["attachments"][0]["text"]
    assert slack_fields(text)["Cause"] == (
        "vendor-side: on Klaviyo's side (its status page, or most of our accounts failing alike)"
    )
    assert text.endswith(f"Last updated: {at(40)} UTC\n```")
    pd_resolved = harness.wait_delivery("/pagerduty/p1-page-high", "resolve", pagerduty_resolve)
    assert pd_resolved.body["payload"]["custom_details"]["cause"] == "vendor"
