"""Prometheus rule groups and files rendered from the threshold table."""

from __future__ import annotations

from typing import Any

from . import alerting, promql
from .spec import AlertRow, Table


def instance_labels(table: Table, instance: promql.RuleInstance) -> dict[str, str]:
    """The row's labels; a one-vendor instance (an override, a per-vendor rule) also
    carries its vendor statically (the value its series already have), so two
    instances of one alert never look like duplicate rules to `promtool check rules`."""
    result = alerting.labels(table, instance.row)
    if instance.matcher.startswith('vendor="'):
        result["vendor"] = instance.matcher.removeprefix('vendor="').removesuffix('"')
    return result


def row_rules(table: Table, row: AlertRow) -> list[dict[str, Any]]:
    """Per rule instance: the row's own recording rule, its since-record when held, then
    the alert, in that order (a group evaluates its rules in order at one timestamp)."""
    rules: list[dict[str, Any]] = []
    for instance in promql.instances(table, row):
        if row.record is not None:
            expr = promql.substitute(row.record.expr, table, instance.matcher)
            rules.append({"record": row.record.name, "expr": expr.strip() + "\n"})
        held = promql.held(instance)
        if held:
            rules.append(promql.since_record(table, instance))
        rules.append(
            {
                "alert": row.name,
                "expr": promql.alert_expr(table, instance) + "\n",
                # A held alert waits in its expression (promql.hold), not in `for`.
                "for": "0m" if held else instance.effective.for_,
                "labels": instance_labels(table, instance),
                "annotations": alerting.alert_annotations(table, row),
            }
        )
    return rules


def _group(table: Table, name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    """A group; it inherits Prometheus's global evaluation interval unless the table
    sets one."""
    interval = table.settings.evaluation_interval
    return {"name": name, **({"interval": interval} if interval else {}), "rules": rules}


def groups(table: Table) -> list[dict[str, Any]]:
    """Every rule group: the recording group (the status page's part of the cause, for
    dashboards, triage and people: the alerts compute their cause inline), then the
    table's groups."""
    recording = {
        "record": promql.VENDOR_INCIDENT_RECORD,
        "expr": promql.vendor_incident_expr(table) + "\n",
    }
    result = [_group(table, alerting.RECORDING_GROUP, [recording])]
    for group in table.groups:
        rules = [rule for row in table.rows_in(group.name) for rule in row_rules(table, row)]
        result.append(_group(table, group.name, rules))
    return result


def rule_files(table: Table) -> dict[str, dict[str, Any]]:
    return {alerting.rule_file_path(group["name"]): {"groups": [group]} for group in groups(table)}


def prometheus_rule(table: Table) -> dict[str, Any]:
    """The same groups as a prometheus-operator PrometheusRule manifest."""
    kubernetes = table.settings.kubernetes
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": kubernetes.name, "labels": dict(kubernetes.labels)},
        "spec": {"groups": groups(table)},
    }
