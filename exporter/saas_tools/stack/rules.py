"""The pack's rule files on a faster clock, for a stack that must see alerts in seconds.

The originals are never edited: each copy is written to the stack's directory, every
group evaluated every `evaluation_interval`, each alert's wait replaced (its `for`, or
the hold in the expression of an alert whose cause can change), the rest of expressions
and labels untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from saas_pack import holds

Rule = dict[str, Any]


def _keep_every_rule(rule: Rule) -> bool:
    return True


def _name(rule: Rule) -> str:
    """An alert's name; a record's, with its labels when it has some (the pack's
    since-records share one name, told apart by their `alert` label)."""
    if "alert" in rule:
        return rule["alert"]
    labels = ",".join(f'{k}="{v}"' for k, v in (rule.get("labels") or {}).items())
    return f"{rule['record']}{{{labels}}}" if labels else rule["record"]


@dataclass(frozen=True)
class RuleClock:
    """How a stack runs the pack's rules."""

    # The stack's global evaluation interval, and any pinned group's.
    evaluation_interval: str = "1s"
    # The new wait (seconds) of an alert whose pack wait (`for` or hold) is the argument.
    new_for: Callable[[float], float] = float
    # Rules it refuses are left out (e.g. rules on series nothing in the stack emits).
    keep: Callable[[Rule], bool] = _keep_every_rule


@dataclass(frozen=True)
class RetimedAlert:
    rule: Rule  # as written to the copy (its new wait)
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
            if "interval" in group:
                # A pinned interval runs on the stack's clock too; a group without one
                # inherits the stack's global evaluation interval (the same clock).
                group["interval"] = clock.evaluation_interval
            rules = group.get("rules") or []
            left_out |= {_name(r) for r in rules if not clock.keep(r)}
            group["rules"] = [rule for rule in rules if clock.keep(rule)]
            for index, rule in enumerate(group["rules"]):
                if "alert" in rule:
                    # Its `for`, or its hold (an alert whose cause can change waits in
                    # its expression: saas_pack.holds).
                    seconds = clock.new_for(holds.wait_seconds(rule))
                    group["rules"][index] = rule = holds.with_wait(rule, seconds)
                    alerts.append(RetimedAlert(rule, seconds))
        path = out_dir / source.name
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        files.append(path)
    return RetimedRules(files, alerts, sorted(left_out))
