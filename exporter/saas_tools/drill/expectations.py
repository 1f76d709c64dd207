"""The text a firing notification must carry, from the incident runbook's templates.

The drill renders nothing itself: Alertmanager renders the shipped templates, and this
module states what each line must say for an alert of the pack (its rule's summary and
links, its priority's response time, its cause), so a template or routing regression
fails the drill with the line that changed.
"""

from __future__ import annotations

import datetime as dt
import re

from .notifications import Notification, slack_fields
from .rules import RuleInfo

PRIORITY = {
    "P1": ("complete outage, respond within 15 minutes", "🔴", "INCIDENT", 15 * 60, "15 minutes"),
    "P2": ("degraded service, respond within 1 hour", "🟠", "INCIDENT", 3600, "1 hour"),
    "P3": ("minor impact, respond within 4 hours", "🟡", "ALERT", 4 * 3600, "4 hours"),
    "P4": ("no user impact, respond next business day", "🔵", "ALERT", None, None),
}
CAUSE = {
    "vendor": (
        "vendor-side: on {name}'s side (its status page, or most of our accounts failing alike)",
        "enable the integration's fallback and follow the vendor's status page",
    ),
    "integration": (
        "ours (integration): our key, configuration or use of the {name} API",
        "check the key, configuration and recent changes (runbook)",
    ),
    "infrastructure": (
        "ours (infrastructure): our network, hosts or monitoring",
        "check our network path and the exporter (runbook)",
    ),
}


def _render_vendor(template: str, vendor: str) -> str:
    return re.sub(r"\{\{ *\$labels\.vendor *\}\}", vendor, template)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def next_update(priority: str, starts_at: dt.datetime) -> str:
    _, _, _, seconds, words = PRIORITY[priority]
    if seconds is None:
        return "next business day"
    due = (starts_at + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)
    return f"by {due:%H:%M} UTC ({words} after the start)"


def status_page_draft(vendor: str, priority: str, cause: str, starts_at: dt.datetime) -> str:
    name = vendor.title()
    notice = (
        f"that features using {name} are unavailable"
        if priority == "P1"
        else f"delays or errors in features that use {name}"
    )
    progress = (
        f"The cause is an incident at {name}; we are following their progress"
        if cause == "vendor"
        else "We are actively investigating"
    )
    return (
        f"{name} integration issue\n\n"
        f"We are experiencing issues with our {name} integration. Some users may notice "
        f"{notice}.\n{progress} and will provide updates here.\n\n"
        f"Last updated: {starts_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def firing_slack_problems(
    notification: Notification, rule: RuleInfo, group_alerts: list[dict]
) -> list[str]:
    """Differences between a firing Slack message and what the runbook template says.

    `group_alerts` are the group's alerts as Alertmanager's API reports them (their
    start times and rendered descriptions vary; the rest is fixed by the rule).
    """
    (attachment,) = notification.delivery.body["attachments"]
    vendor, priority, cause = notification.vendor, notification.priority, notification.cause
    meaning, icon, kind, _, _ = PRIORITY[priority]
    cause_text, action = CAUSE[cause]
    account = f" (account {notification.account})" if notification.account else ""
    starts = sorted({parse_time(a["startsAt"]) for a in group_alerts})
    want_title = f"{icon} {priority} {kind}: {vendor.title()} integration, "
    want_title += f"{notification.alertname}{account}"
    want = {
        "Priority": f"{priority}, {meaning}",
        "Status": "INVESTIGATING",
        "Impact": rule.annotations["summary"],
        "Cause": cause_text.format(name=vendor.title()),
        "Current action": action,
        "Next update": [next_update(priority, s) for s in starts],
        "Incident commander": "@<incident-commander>",
        "Runbook": _render_vendor(rule.annotations["runbook_url"], vendor),
        "Dashboard": _render_vendor(rule.annotations["dashboard_url"], vendor),
    }
    problems = []
    if attachment["title"] != want_title:
        problems.append(f"title {attachment['title']!r}, want {want_title!r}")
    fields = slack_fields(attachment["text"])
    for name, value in want.items():
        ok = fields.get(name) in value if isinstance(value, list) else fields.get(name) == value
        if not ok:
            problems.append(f"{name}: {fields.get(name)!r}, want {value!r}")
    # Firing alerts only: the group may also list recently resolved ones ("• resolved: ").
    bullets = [
        line[2:]
        for line in attachment["text"].splitlines()
        if line.startswith("• ") and not line.startswith("• resolved: ")
    ]
    descriptions = {a["annotations"]["description"] for a in group_alerts}
    if not bullets or not set(bullets) <= descriptions:
        problems.append(f"impact lines {bullets!r}, want some of {sorted(descriptions)!r}")
    if priority in ("P1", "P2"):
        drafts = [status_page_draft(vendor, priority, cause, s) for s in starts]
        text = attachment["text"]
        draft = text.split("```\n", 1)[1].rsplit("\n```", 1)[0] if "```\n" in text else ""
        if draft not in drafts:
            problems.append(f"status page draft {draft!r}, want one of {drafts!r}")
    return problems
