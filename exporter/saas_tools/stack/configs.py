"""The stack's Prometheus config, and its copy of the shipped Alertmanager config.

`capture_alertmanager_config`: the shipped `alertmanager/alertmanager.yml` with every
receiver pointed at a local capture server (Slack by channel, PagerDuty and webhooks by
receiver), optionally with fast grouping timers and business hours that always apply,
so a drill runs the same way at 3 a.m. on a Sunday. The original is never edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class GroupTimers:
    group_wait: str = "1s"
    group_interval: str = "1s"
    repeat_interval: str = "1h"


def dump_yaml(data: Any, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _routes(route: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield route
    for child in route.get("routes") or []:
        yield from _routes(child)


def capture_alertmanager_config(
    capture_url: str,
    source: Path,
    timers: GroupTimers | None = None,
    always_business_hours: bool = False,
    business_days: list[str] | None = None,
) -> dict[str, Any]:
    """The config at `source` with every receiver delivering to `capture_url`.

    Slack goes to `/slack/<channel without #>`, PagerDuty to `/pagerduty/<receiver>`,
    webhooks to `/webhook/<receiver>`.
    """
    config = yaml.safe_load(source.read_text())
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


def write_capture_alertmanager_config(
    path: Path, capture_url: str, source: Path, **options: Any
) -> Path:
    return dump_yaml(capture_alertmanager_config(capture_url, source, **options), path)


def prometheus_config(
    jobs: Mapping[str, list[str]],
    rule_paths: list[Path],
    scrape_interval: str,
    evaluation_interval: str,
    alertmanager_address: str | None = None,
) -> dict[str, Any]:
    """Scrape each job's targets every `scrape_interval`, evaluate `rule_paths`, and send
    alerts to `alertmanager_address` when there is one."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(p) for p in rule_paths],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]}
            for job, targets in jobs.items()
        ],
    }
    if alertmanager_address is not None:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [alertmanager_address]}]}]
        }
    return config
