"""Every PromQL query of the generated dashboards, in one place.

Alert-backed panels query the alert's own expression (rules/thresholds.yaml) with the
dashboard's variables as the vendor matcher, so a panel shows the value its alert
compares. The layout (overview.py, inapp_dashboard.py) only places these queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import probe_sets, promql
from .probe_sets import ANY_PROBE
from .spec import AlertRow, Table

# Panel queries select with these; the test substitutes the variables.
VENDOR = 'vendor=~"$vendor"'
VENDOR_ACCOUNT = 'vendor=~"$vendor", account=~"$account"'
# Status-page probe series carry account="": keep them whatever account is selected.
VENDOR_ACCOUNT_OR_PAGE = 'vendor=~"$vendor", account=~"$account|"'
# The in-app traffic dashboard's selection.
IN_APP = 'vendor=~"$vendor", endpoint=~"$endpoint"'

# The states of the exporter's state-set gauges, in level order (0, 1, ...): the
# queries encode the current state as its level, the panels map levels to colours.
INDICATOR_STATES = ("none", "maintenance", "minor", "major", "critical")
COMPONENT_STATES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)


@dataclass(frozen=True)
class Query:
    """One panel query. `alert` names the row whose thresholds colour its fields;
    `discrete` says its values are integers (a `> 0` alert then starts at 1)."""

    ref: str
    expr: str
    legend: str
    instant: bool = False
    table: bool = False
    alert: str | None = None
    discrete: bool = False


# --- alert-backed queries ------------------------------------------------------------


def matcher_for(row: AlertRow) -> str:
    """The variable matchers a row's expression gets on a panel: the account only
    where the row's series have one."""
    if "account" not in row.by:
        return VENDOR
    return VENDOR_ACCOUNT_OR_PAGE if row.requires_probe == ANY_PROBE else VENDOR_ACCOUNT


def alert_expr(table: Table, name: str, matcher: str | None = None) -> str:
    """The alert's measured value (its `expr`, without the comparison) for a panel."""
    row = table.alert(name)
    return promql.substitute(
        row.expr, table, matcher or matcher_for(row), row.min_accounts, row.threshold
    ).strip()


def alert_query(table: Table, ref: str, name: str, legend: str, discrete: bool = False) -> Query:
    """An instant query of the alert's own value, coloured by the alert's thresholds."""
    expr = alert_expr(table, name)
    return Query(ref, expr, legend, instant=True, alert=name, discrete=discrete)


def zero_filled(table: Table, alert: str, metric: str) -> str:
    """An in-app alert's value, 0 (not "no data") while the app reports the metric
    but nothing matches the alert's filter; no data only when the metric is absent."""
    return f"({alert_expr(table, alert)}) or (group by (vendor) ({metric}{{{VENDOR}}}) * 0)"


def firing_by_priority(table: Table) -> str:
    """Firing alerts of this pack per priority; every priority present, 0 when none.

    The names come from the table; SaasExporterDown carries vendor="all".
    """
    names = "|".join(row.name for row in table.alerts)
    counted = (
        f'count by (priority) (ALERTS{{alertname=~"{names}", alertstate="firing", '
        f'vendor=~"$vendor|all"}})'
    )
    zeros = [f'label_replace(vector(0), "priority", "{p}", "", "")' for p in table.priorities]
    return " or ".join([counted, *zeros])


def headroom_left(table: Table) -> str:
    return alert_expr(table, "SaasRateLimitHeadroomLow")


def headroom_share(table: Table) -> str:
    """Requests left as a share of the smallest window limit, on the headroom probes."""
    headroom = f"{VENDOR_ACCOUNT}, {probe_sets.matcher(table.catalog, 'headroom')}"
    return (
        f"min by (vendor, account) (saas_ratelimit_remaining{{{headroom}}}"
        " / on (vendor, account, probe) group_left"
        f" min by (vendor, account, probe) (saas_ratelimit_limit{{{headroom}}}))"
    )


def revision_retires_in_days(table: Table) -> str:
    return (
        f"({alert_expr(table, 'SaasApiRevisionRetiring')})"
        " * on (vendor) group_left (revision)"
        f" max by (vendor, revision) (saas_api_revision_info{{{VENDOR}}})"
    )


def in_app_metrics_absent(table: Table) -> str:
    return f"({alert_expr(table, 'SaasInAppMetricsAbsent')}) or vector(0)"


# --- state-set gauges ------------------------------------------------------------------


def level_expr(metric: str, label: str, levels: tuple[str, ...], selector: str, by: str) -> str:
    """One series per `by` whose value is the index of the state that is 1 now.

    The exporter sets one series per state, 1 for the current one: multiplying each
    by its level and taking the max leaves the current state's level.
    """
    parts = [
        f'{metric}{{{selector}, {label}="{state}"}} * {level}' for level, state in enumerate(levels)
    ]
    return f"max by ({by}) ({' or '.join(parts)})"


INDICATOR_LEVEL = level_expr(
    "saas_statuspage_indicator", "indicator", INDICATOR_STATES, VENDOR, "vendor"
)
COMPONENT_LEVEL = level_expr(
    "saas_statuspage_component_status",
    "status",
    COMPONENT_STATES,
    VENDOR,
    "vendor, component, group",
)

# --- the overview's own queries ------------------------------------------------------

# The account variable's values: the accounts of the selected vendors' probes.
ACCOUNT_VARIABLE = 'saas_probe_success{vendor=~"$vendor", account!=""}'


def api_up(table: Table) -> str:
    """Whether each account's identity probe succeeds now."""
    identity = probe_sets.matcher(table.catalog, "identity")
    return f"min by (vendor, account) (saas_probe_success{{{VENDOR_ACCOUNT}, {identity}}})"


OPEN_INCIDENTS = f"sum by (vendor) (saas_statuspage_incidents{{{VENDOR}}})"
PROBE_SUCCESS = f"saas_probe_success{{{VENDOR_ACCOUNT_OR_PAGE}}}"
PROBE_DURATION = f"saas_probe_duration_seconds{{{VENDOR_ACCOUNT_OR_PAGE}}}"
PROBE_FAILURES = (
    "sum by (vendor, reason) (increase(saas_probe_failures_total"
    f"{{{VENDOR_ACCOUNT_OR_PAGE}}}[$__rate_interval]))"
)
RATELIMIT_REMAINING = f"saas_ratelimit_remaining{{{VENDOR_ACCOUNT}}}"
RATELIMIT_LIMIT = f"saas_ratelimit_limit{{{VENDOR_ACCOUNT}}}"
RETRY_AFTER = f"saas_retry_after_seconds{{{VENDOR_ACCOUNT}}}"
# The application's own responses (saas_inapp), per route.
APP_RATELIMIT_REMAINING = f"saas_api_ratelimit_remaining{{{VENDOR_ACCOUNT}}}"
INCIDENT_INFO = f"saas_statuspage_incident_info{{{VENDOR}}}"
KEY_IDENTITY = (
    f"(saas_account_info{{{VENDOR_ACCOUNT}}} * on (vendor, account)"
    " group_left (expected_account_id)"
    f" saas_account_expected_info{{{VENDOR_ACCOUNT}}})"
    f" or saas_account_info{{{VENDOR_ACCOUNT}}}"
)

# --- the in-app traffic dashboard ----------------------------------------------------

IN_APP_RATE = f"rate(saas_api_requests_total{{{IN_APP}}}[$__rate_interval])"
IN_APP_BY_CODE = f"sum by (vendor, code) ({IN_APP_RATE})"
IN_APP_BY_ENDPOINT = f"sum by (vendor, endpoint) ({IN_APP_RATE})"
_IN_APP_ERRORS = f'rate(saas_api_requests_total{{{IN_APP}, code!~"2.."}}[$__rate_interval])'
IN_APP_ERROR_RATIO = (
    f"(sum by (vendor, endpoint) ({_IN_APP_ERRORS})"
    f" or sum by (vendor, endpoint) ({IN_APP_RATE}) * 0)"
    f" / sum by (vendor, endpoint) ({IN_APP_RATE})"
)
_IN_APP_BUCKETS = f"rate(saas_api_request_duration_seconds_bucket{{{IN_APP}}}[$__rate_interval])"


def in_app_latency(quantile: float) -> str:
    return f"histogram_quantile({quantile}, sum by (vendor, endpoint, le) ({_IN_APP_BUCKETS}))"


WEBHOOK_RESULTS = (
    "sum by (vendor, result) (increase(saas_webhook_verifications_total"
    f"{{{VENDOR}}}[$__rate_interval]))"
)


# --- rate-limit headroom and webhook delivery, as the application sees them ----------

APP_REMAINING = f"saas_api_ratelimit_remaining{{{IN_APP}}}"
APP_LIMIT = f"saas_api_ratelimit_limit{{{IN_APP}}}"
APP_RETRY_AFTER = f"saas_api_retry_after_seconds{{{IN_APP}}}"
# Quiet periods since each webhook's last valid delivery (what SaasWebhookQuiet compares,
# without its "used to deliver steadily" condition, so a new webhook shows too).
WEBHOOK_QUIET_PERIODS = (
    "(time() - max by (vendor, webhook) (saas_webhook_last_valid_delivery_timestamp_seconds"
    f"{{{VENDOR}}})) / max by (vendor, webhook) (saas_webhook_quiet_period_seconds{{{VENDOR}}})"
)
WEBHOOK_LAG_P95 = (
    "histogram_quantile(0.95, sum by (vendor, webhook, le) "
    f"(rate(saas_webhook_delivery_lag_seconds_bucket{{{VENDOR}}}[$__rate_interval])))"
)
