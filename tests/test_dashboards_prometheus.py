"""Every panel and variable query of every dashboard, run against a real Prometheus
scraping the demo as `make demo` runs it (the exporter and the demo's simulated
application): each returns data."""

from __future__ import annotations

import json
import math
import operator
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from saas_pack import dashboards, spec, thresholds
from saas_pack.queries import firing_by_priority
from saas_tools.stack.prometheus_api import PrometheusAPI

from tests.conftest import REPO
from tests.dashboard_stack import APP_ROUNDS, DEMO_FIRING, dashboard_stack, wait_until

# Grafana's built-in intervals, at values that cover the test's few seconds of data.
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.*), (?P<label>\w+)\)$")
# The variables' values on the demo, exactly (`endpoint`: Klaviyo's).
EXPECTED_VALUES = {
    "vendor": ["acme", "clay", "klaviyo"],
    "account": ["main"],
    "endpoint": ["/api/profiles"],
}
# The single value picked: Klaviyo, the vendor every panel applies to (Clay and Acme
# have no headroom probe and no API revision; "All" below covers them).
PICKED = {"vendor": "klaviyo"}


@pytest.fixture(scope="module")
def table() -> spec.Table:
    return thresholds.load(REPO)


@pytest.fixture(scope="module")
def rendered(table) -> list[dashboards.Rendered]:
    return dashboards.render_all(table)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, table) -> Iterator[PrometheusAPI]:
    tmp = tmp_path_factory.mktemp("prometheus")
    with dashboard_stack(tmp, table.settings.exporter_job) as api:
        yield api


def regex_escape(value: str) -> str:
    """Grafana's escaping of a variable value inside a Prometheus regex matcher."""
    return re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value.replace("\\", "\\\\\\\\"))


def as_json(item: dashboards.Rendered) -> dict[str, Any]:
    return json.loads(json.dumps(item.built, cls=JSONEncoder))


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in board["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def variables(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in board["templating"]["list"] if v["type"] == "query"]


def substitute(expr: str, values: dict[str, str]) -> str:
    for name, value in {**BUILTINS, **{f"${k}": v for k, v in values.items()}}.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, expr
    return expr


def label_values(api: PrometheusAPI, variable: dict[str, Any], chosen: dict[str, str]) -> list:
    found = LABEL_VALUES.match(variable["query"]["query"])
    assert found, variable["query"]
    selector = substitute(found["selector"], chosen)
    return api.get(f"/api/v1/label/{found['label']}/values", **{"match[]": selector})


def choices(api: PrometheusAPI, board: dict[str, Any]) -> list[dict[str, str]]:
    """One value per variable as a user would pick it, then every variable at "All"."""
    single: dict[str, str] = {}
    for variable in variables(board):
        values = label_values(api, variable, single)
        assert values == EXPECTED_VALUES[variable["name"]], variable["name"]
        single[variable["name"]] = regex_escape(PICKED.get(variable["name"], values[0]))
    everything = {v["name"]: v["allValue"] for v in variables(board)}
    return [single, everything]


def run(api: PrometheusAPI, target: dict[str, Any], values: dict[str, str]) -> list:
    expr = substitute(target["expr"], values)
    return api.query(expr) if target.get("instant") else api.query_range(expr)


def finite(series: dict[str, Any]) -> bool:
    samples = series.get("values") or [series["value"]]
    return any(math.isfinite(float(value)) for _t, value in samples)


def test_every_panel_query_returns_data_on_the_demo(prometheus, rendered):
    checked = 0
    for item in rendered:
        board = as_json(item)
        for values in choices(prometheus, board):
            for panel in panels(board):
                for target in panel.get("targets", []):
                    result = run(prometheus, target, values)
                    where = f"{item.uid} / {panel['title']} / {target['refId']} with {values}"
                    assert result, f"no series: {where}: {target['expr']}"
                    assert any(finite(series) for series in result), f"only NaN: {where}"
                    for label in re.findall(r"\{\{(\w+)\}\}", target["legendFormat"]):
                        assert any(label in s["metric"] for s in result), f"{label}: {where}"
                    checked += 1
    # 2 value sets x (overview + in-app) queries.
    expected = 2 * sum(
        len(panel.get("targets", [])) for item in rendered for panel in panels(as_json(item))
    )
    assert checked == expected
    assert checked > 0


def test_firing_alerts_by_priority_counts_the_pack_s_firing_alerts(prometheus, table):
    expr = substitute(firing_by_priority(table), {"vendor": "klaviyo"})
    names = {row.name for row in table.alerts}

    def both() -> tuple[dict[str, float], dict[str, float]]:
        shown = {s["metric"]["priority"]: float(s["value"][1]) for s in prometheus.query(expr)}
        firing = Counter(
            a["labels"]["priority"]
            for a in prometheus.get("/api/v1/alerts")["alerts"]
            if a["state"] == "firing"
            and a["labels"]["alertname"] in names
            and a["labels"].get("vendor") in ("klaviyo", "all")
        )
        return shown, {p: float(firing[p]) for p in table.priorities}

    # Two reads of a live server: poll until they agree (an alert of another rule
    # group may start firing between them), then compare exactly.
    wait_until("the stat and the alerts API to agree", lambda: operator.eq(*both()))
    shown, firing = both()
    assert shown == firing
    for priority, count in Counter(DEMO_FIRING.values()).items():
        assert firing[priority] >= count, priority


def test_alert_list_panel_lists_exactly_the_pack_s_alerts(prometheus, table, rendered):
    board = as_json(rendered[0])
    (panel,) = [p for p in panels(board) if p["type"] == "alertlist"]
    options = panel["options"]
    groups = prometheus.get("/api/v1/rules", type="alert")["groups"]
    listed = [
        rule
        for group in groups
        for rule in group["rules"]
        if options["alertName"].lower() in rule["name"].lower()
    ]
    assert {rule["name"] for rule in listed} == {row.name for row in table.alerts}
    label_filter = re.fullmatch(r'\{vendor=~"(.*)"\}', options["alertInstanceLabelFilter"])
    assert label_filter
    pattern = re.compile(label_filter[1].replace("$vendor", "klaviyo"))
    shown = [
        (rule["name"], alert["labels"]["vendor"])
        for rule in listed
        if rule["state"] in {s for s, on in options["stateFilter"].items() if on}
        for alert in rule["alerts"]
        if pattern.fullmatch(alert["labels"].get("vendor", ""))
    ]
    assert ("SaasVendorIncidentMinor", "klaviyo") in shown
    assert ("SaasVendorComponentDegraded", "klaviyo") in shown


def test_app_traffic_reaches_prometheus_as_sent(prometheus):
    by_vendor = {
        s["metric"]["vendor"]: (s["metric"]["endpoint"], s["metric"]["code"], float(s["value"][1]))
        for s in prometheus.query("sum by (vendor, endpoint, code) (saas_api_requests_total)")
    }
    assert by_vendor == {
        "klaviyo": ("/api/profiles", "200", APP_ROUNDS),
        "clay": ("/clay/public/v0/me", "200", APP_ROUNDS),
        "acme": ("/acme/v1/me", "200", APP_ROUNDS),
    }
    webhooks = prometheus.value('sum(saas_webhook_verifications_total{result="valid"})')
    assert webhooks == APP_ROUNDS
