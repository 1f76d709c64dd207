"""What a drill scenario produced: its notifications and time-to-detect, and the table
the drill prints (fault -> first notification, against the pipeline's floor)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .notifications import Notification
from .scenarios import Expected, Scenario

Key = tuple[str, str, str, str, str, str]  # Notification.key


@dataclass(frozen=True)
class Timings:
    probe_interval: float = 1.0
    scrape_interval: float = 1.0
    # Prometheus's global evaluation interval in the drill (the pack's groups inherit
    # it); the floors use the interval Prometheus reports for each rule's group.
    evaluation_interval: float = 1.0
    group_wait: float = 1.0
    # The pack's `for` durations are minutes; the drill runs them as seconds.
    for_scale: float = 1 / 60

    def floor(self, for_seconds: float, evaluation_interval: float) -> float:
        """Probe interval + scrape interval + the rule's evaluation interval + `for` +
        group_wait."""
        return (
            self.probe_interval
            + self.scrape_interval
            + evaluation_interval
            + for_seconds
            + self.group_wait
        )


@dataclass(frozen=True)
class Detection:
    scenario: str
    expected: Expected
    for_seconds: float
    evaluation_interval: float  # as the running Prometheus reports the rule's group's
    floor: float
    detected_after: float  # fault -> first notification at any of its receivers
    all_receivers_after: float  # fault -> the last of its receivers notified
    resolved_after: float  # recovery -> the last resolved notification


@dataclass
class ScenarioResult:
    scenario: Scenario
    firing: list[Notification] = field(default_factory=list)
    resolved: list[Notification] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    def firing_keys(self) -> set[Key]:
        return {n.key for n in self.firing}

    def resolved_keys(self) -> set[Key]:
        return {n.key for n in self.resolved}


def expected_keys(scenario: Scenario) -> set[Key]:
    return {
        (e.vendor, e.alertname, e.priority, e.cause, receiver, e.account)
        for e in scenario.expected
        for receiver in e.receivers
    }


def detection_table(results: list[ScenarioResult], timings: Timings) -> str:
    rows = [
        "| scenario | vendor | alert | priority | cause | receivers | time to detect | floor | "
        "resolved after recovery |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for d in result.detections:
            rows.append(
                f"| {d.scenario} | {d.expected.vendor} | {d.expected.alertname} | "
                f"{d.expected.priority} | "
                f"{d.expected.cause} | {', '.join(d.expected.receivers)} | "
                f"{d.detected_after:.1f} s | {d.floor:.1f} s | {d.resolved_after:.1f} s |"
            )
    rows.append("")
    intervals = sorted({d.evaluation_interval for r in results for d in r.detections})
    evaluated = " or ".join(f"{i:g} s" for i in intervals) or "?"
    rows.append(
        f"floor = probe interval {timings.probe_interval:g} s + scrape interval "
        f"{timings.scrape_interval:g} s + the evaluation interval Prometheus reports for the "
        f"rule's group ({evaluated}) + the rule's `for` (pack value x "
        f"{timings.for_scale:.4g}) + group_wait {timings.group_wait:g} s; measured "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d}"
    )
    return "\n".join(rows)
