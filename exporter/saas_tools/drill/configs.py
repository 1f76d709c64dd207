"""Drill and test copies of the Alertmanager config and of the rule pack.

The originals are never edited: each copy is written to a temporary directory.

- `capture_alertmanager_config`: the shipped `alertmanager/alertmanager.yml` with every
  receiver pointed at a local capture server (Slack by channel, PagerDuty and webhooks
  by receiver), optionally with drill-speed grouping timers and business hours that
  always apply, so a drill runs the same way at 3 a.m. on a Sunday.
- `drill_rules`: the pack's rule files with every `for` and group `interval` scaled
  down; the expressions are copied untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from saas_exporter.durations import format_duration, parse_duration

REPO_ROOT = Path(__file__).resolve().parents[3]
ALERTMANAGER_CONFIG = REPO_ROOT / "alertmanager" / "alertmanager.yml"
RULES_DIR = REPO_ROOT / "rules"
RULE_FILE_GLOB = "*.rules.yaml"

# Series only an instrumented application emits (saas_inapp.instrument); the drill
# runs no application, so rules reading them are left out of the drill's copy.
IN_APP_METRICS = re.compile(r"\bsaas_(api_requests_total|api_request_duration_seconds|webhook_)")


@dataclass(frozen=True)
class GroupTimers:
    group_wait: str = "1s"
    group_interval: str = "1s"
    repeat_interval: str = "1h"


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _dump_yaml(data: Any, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _routes(route: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield route
    for child in route.get("routes") or []:
        yield from _routes(child)


def capture_alertmanager_config(
    capture_url: str,
    source: Path = ALERTMANAGER_CONFIG,
    timers: GroupTimers | None = None,
    always_business_hours: bool = False,
    business_days: list[str] | None = None,
) -> dict[str, Any]:
    """The shipped config with every receiver delivering to `capture_url`.

    Slack goes to `/slack/<channel without #>`, PagerDuty to `/pagerduty/<receiver>`,
    webhooks to `/webhook/<receiver>`.
    """
    config = _load_yaml(source)
    config["templates"] = [str((source.parent / t).resolve()) for t in config["templates"]]
    for receiver in config["receivers"]:
        name = receiver["name"]
        for slack in receiver.get("slack_configs") or []:
            slack.pop("api_url_file", None)
            slack["api_url"] = f"{capture_url}/slack/{slack['channel'].lstrip('#')}"
        for pagerduty in receiver.get("pagerduty_configs") or []:
            pagerduty.pop("routing_key_file", None)
            pagerduty["routing_key"] = "drill-routing-key"
            pagerduty["url"] = f"{capture_url}/pagerduty/{name}"
        for webhook in receiver.get("webhook_configs") or []:
            webhook["url"] = f"{capture_url}/webhook/{name}"
    if timers is not None:
        for route in _routes(config["route"]):
            for key in ("group_wait", "group_interval", "repeat_interval"):
                if key in route:
                    route[key] = getattr(timers, key)
    for interval in config.get("time_intervals") or []:
        if interval["name"] != "business-hours":
            continue
        if always_business_hours:
            interval["time_intervals"] = [{"weekdays": ["sunday:saturday"]}]
        elif business_days is not None:
            interval["time_intervals"] = [{"weekdays": business_days}]
    return config


def write_capture_alertmanager_config(path: Path, capture_url: str, **options: Any) -> Path:
    return _dump_yaml(capture_alertmanager_config(capture_url, **options), path)


def rule_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(rules_dir.glob(RULE_FILE_GLOB))


@dataclass(frozen=True)
class RuleInfo:
    priority: str
    for_seconds: float  # scaled
    annotations: dict[str, str]  # as written in the rule (templates unrendered)


@dataclass(frozen=True)
class DrillRules:
    files: list[Path]
    # The alerts kept, by (alertname, vendor): vendor is the rule's `vendor` label for a
    # per-vendor override (a vendor's own `for` or threshold), "" for the rule every
    # other vendor uses.
    alerts: dict[tuple[str, str], RuleInfo]
    # alertnames left out because they read in-app series
    left_out: list[str]

    def rule(self, alertname: str, vendor: str) -> RuleInfo:
        """The rule that evaluates `alertname` for `vendor`: its override, or the default
        (the default's expression excludes the vendors that have one)."""
        return self.alerts.get((alertname, vendor)) or self.alerts[(alertname, "")]


def retimed_rules(
    out_dir: Path,
    sources: list[Path],
    evaluation_interval: str,
    new_for: Callable[[float], float],
    keep: Callable[[dict[str, Any]], bool] = lambda rule: True,
) -> tuple[list[Path], list[tuple[dict[str, Any], float]]]:
    """Copies of `sources` on a faster clock: every group evaluated every
    `evaluation_interval`, each alert's `for` replaced by `new_for(seconds)`, rules that
    `keep` refuses dropped; expressions and labels untouched. Returns the files written
    and each kept alert rule with its new `for` in seconds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    alerts: list[tuple[dict[str, Any], float]] = []
    for source in sources:
        document = _load_yaml(source)
        for group in document.get("groups") or []:
            group["interval"] = evaluation_interval
            group["rules"] = [rule for rule in group.get("rules") or [] if keep(rule)]
            for rule in group["rules"]:
                if "alert" in rule:
                    seconds = new_for(parse_duration(rule.get("for", "0s")))
                    rule["for"] = format_duration(seconds)
                    alerts.append((rule, seconds))
        written.append(_dump_yaml(document, out_dir / source.name))
    return written, alerts


def drill_rules(
    out_dir: Path,
    sources: list[Path],
    for_scale: float,
    evaluation_interval: str,
) -> DrillRules:
    """Copies of `sources` with `for` multiplied by `for_scale`, every group's
    `interval` set to `evaluation_interval` and the in-app rules left out (the drill
    runs no application); expressions untouched."""
    left_out: list[str] = []

    def keep(rule: dict[str, Any]) -> bool:
        if IN_APP_METRICS.search(rule["expr"]):
            left_out.append(rule.get("alert") or rule.get("record"))
            return False
        return True

    written, kept = retimed_rules(
        out_dir, sources, evaluation_interval, lambda seconds: seconds * for_scale, keep
    )
    alerts: dict[tuple[str, str], RuleInfo] = {}
    for rule, seconds in kept:
        labels = rule.get("labels") or {}
        alerts[(rule["alert"], labels.get("vendor", ""))] = RuleInfo(
            labels.get("priority", ""), seconds, dict(rule.get("annotations") or {})
        )
    return DrillRules(written, alerts, sorted(set(left_out)))


def prometheus_config(
    exporter_address: str,
    alertmanager_address: str,
    rule_paths: list[Path],
    scrape_interval: str,
    evaluation_interval: str,
    job: str = "saas-exporter",
) -> dict[str, Any]:
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(p) for p in rule_paths],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_address]}]}]},
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [exporter_address]}]}],
    }


def write_prometheus_config(path: Path, **options: Any) -> Path:
    return _dump_yaml(prometheus_config(**options), path)
