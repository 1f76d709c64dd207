"""The pack's rule files on a faster clock, for a stack that must see alerts in seconds.

The originals are never edited: each copy is written to the stack's directory, every
group evaluated every `evaluation_interval`, each alert's `for` replaced, expressions
and labels untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from saas_exporter.durations import format_duration, parse_duration

Rule = dict[str, Any]


def _keep_every_rule(rule: Rule) -> bool:
    return True


@dataclass(frozen=True)
class RuleClock:
    """How a stack runs the pack's rules."""

    evaluation_interval: str = "1s"
    # The new `for` (seconds) of an alert whose pack `for` is the argument (seconds).
    new_for: Callable[[float], float] = float
    # Rules it refuses are left out (e.g. rules on series nothing in the stack emits).
    keep: Callable[[Rule], bool] = _keep_every_rule


@dataclass(frozen=True)
class RetimedAlert:
    rule: Rule  # as written to the copy (its new `for`)
    for_seconds: float


@dataclass(frozen=True)
class RetimedRules:
    files: list[Path]
    alerts: list[RetimedAlert] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # alert or record names, sorted


def retimed_rules(out_dir: Path, sources: list[Path], clock: RuleClock) -> RetimedRules:
    """Copies of `sources` in `out_dir` running on `clock`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    alerts: list[RetimedAlert] = []
    left_out: set[str] = set()
    for source in sources:
        document = yaml.safe_load(source.read_text())
        for group in document.get("groups") or []:
            group["interval"] = clock.evaluation_interval
            rules = group.get("rules") or []
            left_out |= {r.get("alert") or r.get("record") for r in rules if not clock.keep(r)}
            group["rules"] = [rule for rule in rules if clock.keep(rule)]
            for rule in group["rules"]:
                if "alert" in rule:
                    seconds = clock.new_for(parse_duration(rule.get("for", "0s")))
                    rule["for"] = format_duration(seconds)
                    alerts.append(RetimedAlert(rule, seconds))
        path = out_dir / source.name
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        files.append(path)
    return RetimedRules(files, alerts, sorted(left_out))
