"""The drill's view of the pack's rules: each alert's priority, scaled `for` and
annotations by (alertname, vendor), read from the stack's retimed copies."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..stack.rules import RetimedRules, RuleClock, retimed_rules

# Series only an instrumented application emits (saas_inapp.instrument); the drill
# runs no application, so rules reading them are left out of the drill's copy.
IN_APP_METRICS = re.compile(r"\bsaas_(api_requests_total|api_request_duration_seconds|webhook_)")


def reads_no_in_app_series(rule: dict[str, Any]) -> bool:
    return not IN_APP_METRICS.search(rule["expr"])


def drill_clock(for_scale: float, evaluation_interval: str) -> RuleClock:
    """`for` multiplied by `for_scale`, groups evaluated every `evaluation_interval`,
    the in-app rules left out."""
    return RuleClock(
        evaluation_interval, lambda seconds: seconds * for_scale, reads_no_in_app_series
    )


@dataclass(frozen=True)
class RuleInfo:
    priority: str
    for_seconds: float  # scaled
    annotations: dict[str, str]  # as written in the rule (templates unrendered)
    # The interval Prometheus evaluates the rule's group at, as it reports it (None
    # until read from the running Prometheus: DrillRules.evaluated_at).
    evaluation_interval: float | None = None


@dataclass(frozen=True)
class DrillRules:
    files: list[Path]
    # The alerts kept, by (alertname, vendor): vendor is the rule's `vendor` label for a
    # per-vendor override (a vendor's own `for` or threshold), "" for the rule every
    # other vendor uses.
    alerts: dict[tuple[str, str], RuleInfo]
    # alertnames left out because they read in-app series
    left_out: list[str]

    @classmethod
    def of(cls, retimed: RetimedRules) -> DrillRules:
        alerts: dict[tuple[str, str], RuleInfo] = {}
        for alert in retimed.alerts:
            labels = alert.rule.get("labels") or {}
            alerts[(alert.rule["alert"], labels.get("vendor", ""))] = RuleInfo(
                labels.get("priority", ""),
                alert.for_seconds,
                dict(alert.rule.get("annotations") or {}),
            )
        return cls(retimed.files, alerts, retimed.left_out)

    def evaluated_at(self, groups: list[dict[str, Any]]) -> DrillRules:
        """The rules with each one's evaluation interval, from the running Prometheus's
        rule groups (GET /api/v1/rules): what it really runs, not what was asked."""
        intervals = {
            (rule["name"], (rule.get("labels") or {}).get("vendor", "")): float(group["interval"])
            for group in groups
            for rule in group["rules"]
            if rule.get("type") == "alerting"
        }
        alerts = {
            key: replace(info, evaluation_interval=intervals[key])
            for key, info in self.alerts.items()
        }
        return replace(self, alerts=alerts)

    def rule(self, alertname: str, vendor: str) -> RuleInfo:
        """The rule that evaluates `alertname` for `vendor`: its override, or the default
        (the default's expression excludes the vendors that have one)."""
        return self.alerts.get((alertname, vendor)) or self.alerts[(alertname, "")]


def drill_rules(
    out_dir: Path, sources: list[Path], for_scale: float, evaluation_interval: str
) -> DrillRules:
    """Copies of `sources` on the drill's clock (`drill_clock`)."""
    return DrillRules.of(
        retimed_rules(out_dir, sources, drill_clock(for_scale, evaluation_interval))
    )
