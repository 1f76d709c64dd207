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


def alerting_rules(table: Table, row: AlertRow) -> list[dict[str, Any]]:
    return [
        {
            "alert": row.name,
            "expr": promql.alert_expr(table, instance) + "\n",
            "for": instance.effective.for_,
            "labels": instance_labels(table, instance),
            "annotations": alerting.alert_annotations(table, row),
        }
        for instance in promql.instances(table, row)
    ]


def groups(table: Table) -> list[dict[str, Any]]:
    """Every rule group, the recording group first: the others read its series."""
    interval = table.settings.evaluation_interval
    result = [
        {
            "name": alerting.RECORDING_GROUP,
            "interval": interval,
            "rules": [
                {
                    "record": promql.VENDOR_INCIDENT_RECORD,
                    "expr": promql.VENDOR_INCIDENT_EXPR + "\n",
                }
            ],
        }
    ]
    for group in table.groups:
        rules = [rule for row in table.rows_in(group.name) for rule in alerting_rules(table, row)]
        result.append({"name": group.name, "interval": interval, "rules": rules})
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
