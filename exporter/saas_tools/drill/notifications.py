"""What a captured delivery says: which alert, priority, cause, firing or resolved.

Read back from the payloads Alertmanager rendered (the Slack title and text, the
PagerDuty event, the webhook's labels), so the drill checks what on-call would see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..stack.capture import Delivery

SLACK_TITLE = re.compile(
    r"^\S+ (?P<priority>P\d) (?P<kind>INCIDENT|ALERT|RESOLVED): (?P<vendor>.+?) integration, "
    r"(?P<alertname>\w+)(?: \(account (?P<account>.+)\))?$"
)
CAUSE_TEXT = {
    "vendor-side": "vendor",
    "ours (integration)": "integration",
    "ours (infrastructure)": "infrastructure",
    "mixed": "mixed",
}


@dataclass(frozen=True)
class Notification:
    receiver: str  # the capture path: /slack/saas-incidents, /pagerduty/p1-page-high, ...
    status: str  # firing | resolved
    alertname: str
    priority: str
    cause: str
    vendor: str  # the label value (lower case)
    account: str  # "" for vendor-wide alerts
    received_at: float
    delivery: Delivery

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        """(vendor, alertname, priority, cause, receiver, account)."""
        return (self.vendor, self.alertname, self.priority, self.cause, self.receiver, self.account)


def slack_fields(text: str) -> dict[str, str]:
    """`*Name:* value` lines of the Slack text, by name."""
    fields = {}
    for line in text.splitlines():
        match = re.match(r"^\*(?P<name>[^*]+):\* ?(?P<value>.*)$", line)
        if match:
            fields[match["name"]] = match["value"]
    return fields


def cause_from_text(cause_line: str) -> str:
    for prefix, cause in CAUSE_TEXT.items():
        if cause_line.startswith(prefix):
            return cause
    raise ValueError(f"unknown cause line: {cause_line!r}")


def parse(delivery: Delivery) -> Notification:
    body = delivery.body
    if delivery.kind == "slack":
        (attachment,) = body["attachments"]
        title = SLACK_TITLE.match(attachment["title"])
        if title is None:
            raise ValueError(f"unexpected Slack title: {attachment['title']!r}")
        fields = slack_fields(attachment["text"])
        status = "resolved" if title["kind"] == "RESOLVED" else "firing"
        return Notification(
            delivery.path, status, title["alertname"], title["priority"],
            cause_from_text(fields["Cause"]), title["vendor"].lower(),
            title["account"] or "", delivery.received_at, delivery,
        )  # fmt: skip
    if delivery.kind == "pagerduty":
        details = body["payload"]["custom_details"]
        status = "resolved" if body["event_action"] == "resolve" else "firing"
        return Notification(
            delivery.path, status, body["payload"]["class"], details["priority"],
            details["cause"], details["vendor"], details["account"],
            delivery.received_at, delivery,
        )  # fmt: skip
    labels = body["commonLabels"]
    return Notification(
        delivery.path, body["status"], labels["alertname"], labels["priority"],
        labels.get("cause", "mixed"), labels["vendor"], labels.get("account", ""),
        delivery.received_at, delivery,
    )  # fmt: skip
