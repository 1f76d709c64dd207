"""Alert hygiene checks in the monitoring-mixin spirit, over rendered rule groups.

Each check returns problem strings (empty when clean), so the tests can show both
that the real rules pass and that a bad rule is caught with a precise message.
"""

from __future__ import annotations

import re
from typing import Any

NAME = re.compile(r"^Saas[A-Z][a-zA-Z0-9]*$")
RATE_CALL = re.compile(r"\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
COMPARISON = re.compile(r"==|!=|>=|<=|>|<")
GROUPING = re.compile(r"\b(?:by|on)\s*\(([^)]*)\)")
# Label names whose values are bounded by configuration or a closed set (`webhook`:
# authentic webhook ids only, at most 100 per verifier, saas_inapp.webhooks.health).
BOUNDED_LABELS = {
    "vendor", "account", "probe", "reason", "endpoint", "code", "result", "le", "job",
    "instance", "indicator", "component", "group", "status", "window", "shard_count",
    "webhook",
}  # fmt: skip
SEVERITY = {"P1": "critical", "P2": "critical", "P3": "warning", "P4": "info"}
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard_url")
CAUSES = {"vendor", "integration", "infrastructure"}


def alerts(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _without_strings_and_matchers(expr: str) -> str:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return re.sub(r"\{[^{}]*\}", "{}", expr)


def check_alert(rule: dict[str, Any]) -> list[str]:
    name = rule["alert"]
    problems = []
    labels = rule.get("labels", {})
    notes = rule.get("annotations", {})
    expr = rule["expr"]
    if not NAME.match(name):
        problems.append(f"{name}: name is not CamelCase with the Saas prefix")
    for key in REQUIRED_ANNOTATIONS:
        if not notes.get(key):
            problems.append(f"{name}: annotation {key} missing")
    summary = notes.get("summary", "")
    if "{{" in summary or not summary.endswith("."):
        problems.append(f"{name}: summary must be static and end with a period")
    if "{{" not in notes.get("description", ""):
        problems.append(f"{name}: description is not templated")
    priority = labels.get("priority")
    if priority not in SEVERITY:
        problems.append(f"{name}: priority label missing or not P1-P4")
    elif labels.get("severity") != SEVERITY[priority]:
        problems.append(f"{name}: severity must be {SEVERITY[priority]} for {priority}")
    for metric in RATE_CALL.findall(expr):
        if not metric.endswith(COUNTER_SUFFIXES):
            problems.append(f"{name}: rate()/increase() on non-counter {metric}")
    if not COMPARISON.search(_without_strings_and_matchers(expr)):
        problems.append(f"{name}: expression does not compare")
    for grouping in GROUPING.findall(expr):
        for label in (part.strip() for part in grouping.split(",")):
            if label and label not in BOUNDED_LABELS:
                problems.append(f"{name}: groups by unbounded label {label}")
    for key, value in labels.items():
        if "{{" in value or "$" in value:
            problems.append(f"{name}: label {key} carries a templated value")
    has_vendor = "vendor" in labels or re.search(r"by \((?:[^)]*, )?vendor\b", expr)
    if not has_vendor and 'vendor="' not in expr:
        problems.append(f"{name}: no vendor label")
    if labels.get("cause") not in CAUSES and '"cause", "' not in expr:
        problems.append(f"{name}: no cause label")
    return problems
