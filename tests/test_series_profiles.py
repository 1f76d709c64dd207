"""The compact series profile keeps every series the rule pack and the dashboards read.

Every PromQL expression in rules/*.rules.yaml and dashboards/*.json (panel queries and
variable queries) is parsed (promql-parser) for its vector selectors: metric name and
label matchers. For Klaviyo, Clay and a generic vendor, in a healthy state and in
states where every probe fails with each reason it can produce, both profiles are
rendered and, for every selector:
- when the full profile has a matching series, so does the compact one;
- every matching series with a value other than 0 in the full profile is in the compact
  one with the same value (what compact drops is only ever 0: reasons a probe cannot
  produce, and families no selector reads).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from saas_exporter.config import load_config_data
from saas_exporter.exposition import IncrementalExposition
from saas_exporter.probes import targets_for
from saas_exporter.probes.result import AccountIdentity, ProbeResult, StatusPageSnapshot
from saas_exporter.ratelimit_headers import RateLimitInfo
from saas_exporter.series import TARGET_FAMILIES
from saas_exporter.state import ResultStore
from tests.conftest import REPO

T0 = 1_800_000_000.0
Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*\w+\)$", re.S)
GRAFANA_VARIABLE = re.compile(r"\$\{?(\w+)(?::\w+)?\}?")
# A dashboard variable's value: its matcher is taken to match every value ("All").
VARIABLE = "GRAFANAVARIABLE"


def _expressions() -> Iterator[tuple[str, str]]:
    for path in sorted((REPO / "rules").glob("*.rules.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]
    for path in sorted((REPO / "dashboards").glob("*.json")):
        yield from _json_queries(path.name, json.loads(path.read_text()))


def _json_queries(where: str, node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key in ("expr", "query"):
            if isinstance(node.get(key), str) and node[key].strip():
                yield f"{where}: {node.get('title') or node.get('name') or key}", node[key]
        for value in node.values():
            yield from _json_queries(where, value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_queries(where, value)


def _promql(expr: str) -> str:
    """Grafana's variables and intervals as PromQL literals a parser accepts."""
    match = LABEL_VALUES.match(expr.strip())
    expr = match.group(1) if match else expr
    expr = re.sub(r"\$__(rate_interval|interval|range)", "5m", expr)
    return GRAFANA_VARIABLE.sub(VARIABLE, expr)


def _selectors(node: Any) -> Iterator[Any]:
    if type(node).__name__ == "VectorSelector":
        yield node
    for attribute in ("expr", "lhs", "rhs", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None:
            yield from _selectors(child)
    for child in getattr(node, "args", None) or ():
        yield from _selectors(child)


def _matches(labels: dict[str, str], matcher: Any) -> bool:
    value = labels.get(matcher.name, "")
    if VARIABLE in matcher.value:
        return True
    op = matcher.op
    if op == promql_parser.MatchOp.Equal:
        return value == matcher.value
    if op == promql_parser.MatchOp.NotEqual:
        return value != matcher.value
    if op == promql_parser.MatchOp.Re:
        return re.fullmatch(matcher.value, value) is not None
    return re.fullmatch(matcher.value, value) is None


# Every selector the pack reads, with where it comes from: (where, name, matchers).
SELECTORS = [
    (where, selector.name, [m for m in selector.matchers.matchers if m.name != "__name__"])
    for where, expr in _expressions()
    for selector in _selectors(promql_parser.parse(_promql(expr)))
]
EXPORTER_NAMES = tuple(f.name for f in TARGET_FAMILIES) + ("saas_statuspage_",)


def test_the_pack_has_selectors_for_the_exporter():
    names = {name for _, name, _ in SELECTORS}
    assert {"saas_probe_failing", "saas_probe_latency_seconds_bucket", "up"} <= names
    assert len(SELECTORS) > 50


def _config(profile: str):
    env = {"KL": "pk_" + "a" * 34, "CL": "clay_" + "b" * 32, "GN": "tok_" + "c" * 32}
    data = {
        "global": {"series_profile": profile},
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "statuspage_url": "https://status.klaviyo.test",
                "accounts": [{"name": "main", "api_key_env": "KL", "expected_account_id": "K1"}],
            },
            {
                "name": "clay",
                "kind": "clay",
                "api": {"path": "/me", "account_id_field": "id"},
                "accounts": [{"name": "main", "api_key_env": "CL"}],
            },
            {
                "name": "shop",
                "kind": "generic",
                "api_url": "https://api.shop.test",
                "api": {"path": "/v1/me", "auth_header": "authorization"},
                "accounts": [{"name": "main", "api_key_env": "GN"}],
            },
        ],
    }
    return load_config_data(data, env)


def _result(target, reason: str | None, at: float) -> ProbeResult:
    status = 200 if reason is None else 503
    return ProbeResult(
        success=reason is None,
        duration_seconds=0.3,
        finished_at=at,
        http_status=status,
        failure_reason=reason,
        error="" if reason is None else f"{status}: failing",
        ratelimit=None
        if target.probe == "statuspage"
        else RateLimitInfo({"1": 75.0, "60": 700.0}, 70.0, 1.0),
        retry_after_seconds=5.0 if reason == "throttled" else None,
        account=AccountIdentity("K1", False) if target.probe in ("accounts", "api") else None,
        statuspage=StatusPageSnapshot("minor", "Degraded")
        if target.probe == "statuspage" and reason is None
        else None,
    )


def _scenarios() -> list[int]:
    longest = max(
        len(spec.reasons)
        for kind in _config("full").vendors
        for spec in kind.kind_spec.probes.values()
    )
    return list(range(longest + 1))


def _render(profile: str, scenario: int) -> Series:
    """Scenario 0: every probe succeeded; scenario k: each probe's k-th reason (then
    success, for probes with fewer reasons), after a first healthy round."""
    config = _config(profile)
    store = ResultStore(targets_for(config))
    exposition = IncrementalExposition(config, store)
    for target in targets_for(config):
        store.record(target.key, _result(target, None, T0))
        reasons = target.vendor.kind_spec.probes[target.probe].reasons
        reason = reasons[scenario - 1] if 0 < scenario <= len(reasons) else None
        store.record(target.key, _result(target, reason, T0 + 60))
    series: Series = {}
    for family in text_string_to_metric_families(exposition.render().decode()):
        for sample in family.samples:
            series[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return series


def _matching(series: Series, name: str, matchers) -> Series:
    return {
        key: value
        for key, value in series.items()
        if key[0] == name and all(_matches(dict(key[1]), m) for m in matchers)
    }


@pytest.mark.parametrize("scenario", _scenarios())
def test_compact_keeps_what_the_pack_reads(scenario):
    full, compact = _render("full", scenario), _render("compact", scenario)
    assert len(compact) < len(full)
    problems = []
    for where, name, matchers in SELECTORS:
        if not name.startswith(EXPORTER_NAMES):
            continue
        in_full, in_compact = _matching(full, name, matchers), _matching(compact, name, matchers)
        if in_full and not in_compact:
            problems.append(f"{where}: {name} matches nothing in compact")
        for key, value in in_full.items():
            if value != 0 and compact.get(key) != value:
                problems.append(f"{where}: {key} = {value} missing or different in compact")
    assert problems == []


def test_compact_drops_what_no_probe_can_produce():
    compact = _render("compact", 0)
    reasons = {
        (dict(labels)["vendor"], dict(labels)["probe"], dict(labels)["reason"])
        for name, labels in compact
        if name == "saas_probe_failing"
    }
    # The status-page probe has no account-only reasons; Klaviyo's probes never run
    # out of credits; only Clay's can.
    assert ("klaviyo", "statuspage", "auth") not in reasons
    assert ("klaviyo", "profiles", "credits_exhausted") not in reasons
    assert ("clay", "api", "credits_exhausted") in reasons
    histograms = {dict(labels)["probe"] for name, labels in compact if name.endswith("_bucket")}
    assert histograms == {"profiles"}  # the only probe with a latency percentile
    names = {name for name, _ in compact}
    assert "saas_probe_runs_total" not in names
    assert "saas_probe_http_status_code" in names  # the on-call commands read it
