"""The rule pack's in-app alerts fire on series produced by this module, not hand-written.

A real instrumented httpx client and the webhook verifier run a scenario against
pytest-httpserver, minute by minute; each minute's exposition of the registry
becomes one sample of promtool `input_series`; real `promtool test rules` then
evaluates the repository's rules/*.yaml on them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pytest_httpserver import HTTPServer
from saas_inapp.instrument import instrumented_client
from saas_inapp.webhooks import KlaviyoWebhookVerifier

from tests.inapp_support import NOW, SECRET, DurationClock, delivery_body, signed_headers

REPO = Path(__file__).resolve().parents[1]

# The in-app alerts of the rule pack (issue 3) and the checklist's priority for each.
ALERT_PRIORITIES = {
    "SaasApiAuthErrors": "P1",
    "SaasApiServerErrors": "P1",
    "SaasApiRateLimited": "P2",
    "SaasApiHighLatency": "P2",
    "SaasWebhookSignatureInvalid": "P2",
}
MINUTES = 25
VENDOR = "klaviyo"

Scrape = dict[str, float]


def rule_pack() -> tuple[list[Path], dict[str, dict[str, str]]]:
    """The Prometheus rule files in rules/, and the static labels of each in-app alert.

    A rule file has `groups` as its only top-level key and `rules` in every group;
    other YAML in rules/ (e.g. the threshold table the rules are generated from) is
    not handed to promtool.
    """
    files: list[Path] = []
    alerts: dict[str, dict[str, str]] = {}
    for path in sorted([*REPO.glob("rules/*.yaml"), *REPO.glob("rules/*.yml")]):
        document = yaml.safe_load(path.read_text())
        if not _is_rule_file(document):
            continue
        groups = document["groups"]
        files.append(path)
        for group in groups:
            for rule in group.get("rules", []):
                if rule.get("alert") in ALERT_PRIORITIES:
                    labels = rule.get("labels") or {}
                    alerts[rule["alert"]] = {k: str(v) for k, v in labels.items()}
    return files, alerts


def _is_rule_file(document: object) -> bool:
    return (
        isinstance(document, dict)
        and set(document) == {"groups"}
        and isinstance(document["groups"], list)
        and all(isinstance(group, dict) and "rules" in group for group in document["groups"])
    )


def scrape(registry: CollectorRegistry) -> Scrape:
    """The registry's exposition as {series selector: value}.

    `_created` samples are left out: they are start times, not what the rules read.
    """
    text = generate_latest(registry).decode("utf-8")
    return {
        selector(sample.name, sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def selector(name: str, labels: dict[str, str]) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return name + "{" + ",".join(f"{k}={quoted(v)}" for k, v in sorted(labels.items())) + "}"


def input_series(scrapes: list[Scrape]) -> list[dict[str, str]]:
    """One promtool series per selector; `_` where the series did not exist yet."""
    names = sorted({name for taken in scrapes for name in taken})
    return [
        {
            "series": name,
            "values": " ".join(
                format(taken[name], ".17g") if name in taken else "_" for taken in scrapes
            ),
        }
        for name in names
    ]


Minute = Callable[[], None]


def run_scenario(registry: CollectorRegistry, one_minute: Minute) -> list[Scrape]:
    """A scrape before any traffic, then one after each minute of traffic."""
    scrapes = [scrape(registry)]
    for _ in range(MINUTES):
        one_minute()
        scrapes.append(scrape(registry))
    return scrapes


def incident(httpserver: HTTPServer, registry: CollectorRegistry) -> list[Scrape]:
    """Per minute: 12 x 503, 7 x 429, one 401, one 403, 20 x 200, every request 6 s;
    one valid webhook and one with a wrong signature."""
    codes = [503] * 12 + [429] * 7 + [401, 403] + [200] * 20
    for code in sorted(set(codes)):
        httpserver.expect_request(f"/api/lists/L{code}xY/profiles").respond_with_json(
            {"data": []}, status=code
        )
    clock = DurationClock([6.0] * (len(codes) * MINUTES))
    client = instrumented_client(
        VENDOR, registry=registry, clock=clock, base_url=httpserver.url_for("")
    )
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=lambda: NOW)
    deliveries = iter(range(MINUTES))

    def one_minute() -> None:
        for code in codes:
            client.get(f"/api/lists/L{code}xY/profiles")
        body = delivery_body([f"evt-{next(deliveries)}"], sent_at=NOW)
        verifier.verify(signed_headers(body), body)
        verifier.verify(signed_headers(body, secret="rotated-elsewhere"), body)

    with client:
        return run_scenario(registry, one_minute)


def quiet(httpserver: HTTPServer, registry: CollectorRegistry) -> list[Scrape]:
    """Per minute: 20 x 200 at 0.2 s and one valid webhook."""
    httpserver.expect_request("/api/accounts").respond_with_json({"data": []})
    clock = DurationClock([0.2] * (20 * MINUTES))
    client = instrumented_client(
        VENDOR, registry=registry, clock=clock, base_url=httpserver.url_for("")
    )
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry, clock=lambda: NOW)
    deliveries = iter(range(MINUTES))

    def one_minute() -> None:
        for _ in range(20):
            client.get("/api/accounts")
        body = delivery_body([f"evt-{next(deliveries)}"], sent_at=NOW)
        verifier.verify(signed_headers(body), body)

    with client:
        return run_scenario(registry, one_minute)


def firing(alertname: str, labels: dict[str, str]) -> str:
    matchers = {"alertname": alertname, "alertstate": "firing", "vendor": VENDOR, **labels}
    return "group(" + selector("ALERTS", matchers) + ")"


def promtool_file(
    rule_files: list[Path],
    alerts: dict[str, dict[str, str]],
    incident_series: list[dict[str, str]],
    quiet_series: list[dict[str, str]],
) -> dict:
    eval_time = f"{MINUTES}m"
    in_app = "|".join(ALERT_PRIORITIES)
    return {
        "rule_files": [str(path) for path in rule_files],
        "evaluation_interval": "1m",
        "tests": [
            {
                "name": "in-app incident: every in-app alert fires for the vendor",
                "interval": "1m",
                "input_series": incident_series,
                "promql_expr_test": [
                    {
                        "expr": firing(name, labels),
                        "eval_time": eval_time,
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    }
                    for name, labels in sorted(alerts.items())
                ],
            },
            {
                "name": "quiet traffic: no in-app alert fires",
                "interval": "1m",
                "input_series": quiet_series,
                "promql_expr_test": [
                    {
                        "expr": f'ALERTS{{alertname=~"{in_app}"}}',
                        "eval_time": eval_time,
                        "exp_samples": [],
                    }
                ],
            },
        ],
    }


def test_in_app_alerts_fire_on_this_modules_output(httpserver, tmp_path):
    rule_files, alerts = rule_pack()
    if not alerts:
        pytest.skip(
            "no rules/*.yaml defines the in-app alerts "
            f"({', '.join(ALERT_PRIORITIES)}): the rule pack (issue 3) is not in this tree"
        )
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: run scripts/system-deps.sh (make pytest does)")
    assert sorted(alerts) == sorted(ALERT_PRIORITIES), "the rule pack lacks in-app alerts"
    for name, priority in ALERT_PRIORITIES.items():
        assert priority in {value.upper() for value in alerts[name].values()}, (
            f"{name}: the checklist makes it {priority}; its labels are {alerts[name]}"
        )

    incident_series = input_series(incident(httpserver, CollectorRegistry()))
    quiet_series = input_series(quiet(httpserver, CollectorRegistry()))
    test_file = tmp_path / "inapp_alerts_test.yaml"
    test_file.write_text(
        yaml.safe_dump(promtool_file(rule_files, alerts, incident_series, quiet_series))
    )

    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_input_series_keep_the_exposition_shape():
    registry = CollectorRegistry()
    verifier = KlaviyoWebhookVerifier(SECRET, registry=registry)
    before = scrape(registry)
    body = delivery_body()
    verifier.verify(signed_headers(body, secret="wrong"), body)

    series = input_series([before, scrape(registry)])

    assert {
        "series": 'saas_webhook_verifications_total{result="invalid_signature",vendor="klaviyo"}',
        "values": "0 1",
    } in series
    # The five results, and the previous-secret counter (a rotation's), all from 0.
    assert len(series) == 6
