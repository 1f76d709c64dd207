"""The incident overview's detail rows, below its top-row stats: probes and status
page, rate-limit budget, what fires, key/revision/monitoring, and the application's
own calls. Layout only: the PromQL is in queries.py.
"""

from __future__ import annotations

from typing import NamedTuple

from grafana_foundation_sdk.builders import table as table_panel

from . import grafana, queries
from .grafana import (
    COMPONENT_COLORS,
    INDICATOR_COLORS,
    UP_COLORS,
    UP_STATES,
)
from .layout import (
    Layout,
    alert_list_panel,
    by_ref,
    hide_columns,
    prop,
    stat_panel,
    timeline_panel,
    timeseries_panel,
)
from .panels import ROW_VENDOR, PanelSpec
from .queries import COMPONENT_STATES, INDICATOR_STATES, Query
from .spec import Table


def probe_rows(table: Table, layout: Layout) -> None:
    layout.row("Is it them or us: probes and status page")
    layout.add(
        "state-timeline",
        timeline_panel(UP_STATES, UP_COLORS),
        PanelSpec(
            title="Probe success",
            shows="Each probe's result over time: up or down, per account and probe.",
            queries=(Query("A", queries.PROBE_SUCCESS, "{{vendor}} {{account}} {{probe}}"),),
        ),
    )
    indicator_mappings = grafana.value_mappings(INDICATOR_STATES, INDICATOR_COLORS)
    layout.add(
        "state-timeline",
        timeline_panel(COMPONENT_STATES, COMPONENT_COLORS),
        PanelSpec(
            title="Status page components",
            shows="The status page's overall indicator and every component's status over time.",
            queries=(
                Query("A", queries.INDICATOR_LEVEL, "{{vendor}} overall"),
                Query("B", queries.COMPONENT_LEVEL, "{{vendor}} {{group}} {{component}}"),
            ),
            key="statuspage",
            extra_overrides=(by_ref("A", [prop("mappings", indicator_mappings)]),),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("s", lines=True),
        PanelSpec(
            title="Probe latency",
            shows=(
                "P95 probe latency over the alert's window (the alerting value) and each "
                "probe's latest duration, with the alert threshold as a dashed line."
            ),
            queries=(
                Query(
                    "A",
                    queries.alert_expr(table, "SaasProbeHighLatency"),
                    "{{vendor}} {{account}} {{probe}} P95",
                ),
                Query("B", queries.PROBE_DURATION, "{{vendor}} {{account}} {{probe}} latest"),
            ),
            key="probe-latency-p95",
            alert="SaasProbeHighLatency",
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("short", bars=True),
        PanelSpec(
            title="Probe failures by reason",
            shows=(
                "Failed probes per interval by reason: auth, forbidden, throttled, "
                "server_error, timeout, ... (them: server_error; us: auth, timeout, ...)."
            ),
            queries=(Query("A", queries.PROBE_FAILURES, "{{vendor}} {{reason}}"),),
            key="probe-failures",
        ),
    )
    layout.row("Rate-limit budget")
    layout.add(
        "timeseries",
        timeseries_panel("short", lines=True),
        PanelSpec(
            title="Rate-limit remaining per window, Retry-After",
            shows=(
                "Requests remaining against each window's limit, per probe, the "
                "application's own remaining per route (saas_inapp; the headroom alert "
                "prefers it while fresh), and the vendor's latest Retry-After (seconds, "
                "right axis)."
            ),
            queries=(
                Query(
                    "A", queries.RATELIMIT_REMAINING, "{{vendor}} {{account}} {{probe}} remaining"
                ),
                Query(
                    "B",
                    queries.RATELIMIT_LIMIT,
                    "{{vendor}} {{account}} {{probe}} limit per {{window}}s",
                ),
                Query("C", queries.RETRY_AFTER, "{{vendor}} {{account}} {{probe}} Retry-After"),
                Query(
                    "D",
                    queries.APP_RATELIMIT_REMAINING,
                    "{{vendor}} {{account}} app {{endpoint}} remaining",
                ),
            ),
            key="ratelimit-headroom",
            alert="SaasRateLimitHeadroomLow",
            discrete=True,
            width=24,
            extra_overrides=(
                by_ref("B", [prop("custom.lineStyle", {"fill": "dash", "dash": [10, 10]})]),
                by_ref(
                    "C",
                    [
                        prop("unit", "s"),
                        prop("custom.axisPlacement", "right"),
                        prop("custom.thresholdsStyle", {"mode": "off"}),
                    ],
                ),
            ),
        ),
    )


def alerts_row(table: Table, layout: Layout) -> None:
    layout.row("What is firing, and what to do")
    names = [row.name for row in table.alerts]
    prefix = _common_prefix(names)
    layout.add(
        "alertlist",
        alert_list_panel(prefix, '{vendor=~"$vendor|all"}'),
        PanelSpec(
            title="Alerts of this pack",
            shows=(
                f"Firing and pending alerts whose name contains {prefix!r} (every alert of "
                "the pack), for the selected vendor, most important first."
            ),
            height=10,
        ),
    )
    layout.add(
        "table",
        table_panel.Panel()
        .with_transformation(hide_columns("Time", "Value", "__name__", "vendor", "id"))
        .override_by_name(
            "name",
            [prop("links", [{"title": "Open the incident", "url": "${__data.fields.url}"}])],
        ),
        PanelSpec(
            title="Incidents on the status page",
            shows="Each unresolved incident on the status page: name, impact, status, link.",
            queries=(Query("A", queries.INCIDENT_INFO, "{{name}}", instant=True, table=True),),
            height=10,
        ),
    )


def _common_prefix(names: list[str]) -> str:
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    if not prefix:
        raise ValueError("the pack's alert names share no prefix for the alert list filter")
    return prefix


def identity_rows(table: Table, layout: Layout) -> None:
    layout.row("Key, API revision and monitoring")
    layout.add(
        "table",
        table_panel.Panel().with_transformation(hide_columns("Time", "Value", "__name__")),
        PanelSpec(
            title="Key identity",
            shows=(
                "The account id each key answers for, the expected one where configured, "
                "and whether it is a test account."
            ),
            queries=(Query("A", queries.KEY_IDENTITY, "{{account}}", instant=True, table=True),),
            key="account-identity",
            width=8,
            vendor_var=ROW_VENDOR,
        ),
    )
    layout.add(
        "stat",
        stat_panel().decimals(1),
        PanelSpec(
            title="API revision",
            shows=(
                "Days until the API revision in use retires, and days since it was "
                "deprecated (negative: deprecated in that many days)."
            ),
            queries=(
                Query(
                    "A",
                    queries.revision_retires_in_days(table),
                    "{{vendor}} {{revision}} retires in days",
                    instant=True,
                    alert="SaasApiRevisionRetiring",
                ),
                queries.alert_query(
                    table, "B", "SaasApiRevisionDeprecated", "{{vendor}} days since deprecation"
                ),
            ),
            key="api-revision",
            width=8,
        ),
    )
    layout.add(
        "stat",
        stat_panel().decimals(1),
        PanelSpec(
            title="Monitoring health",
            shows=(
                "Whether the exporter is scraped, how many intervals ago each probe last "
                "ran, whether the status page is reachable, and how many in-app series "
                "disappeared (reported within the week, gone now)."
            ),
            queries=(
                queries.alert_query(
                    table, "A", "SaasExporterDown", "exporter up {{instance}}", True
                ),
                queries.alert_query(
                    table,
                    "B",
                    "SaasProbesStale",
                    "{{vendor}} {{account}} {{probe}} intervals since last run",
                ),
                queries.alert_query(
                    table,
                    "C",
                    "SaasStatusPageUnreachable",
                    "{{vendor}} status page reachable",
                    True,
                ),
                Query(
                    "D",
                    queries.in_app_metrics_absent(table),
                    "in-app metrics absent",
                    instant=True,
                    alert="SaasInAppMetricsAbsent",
                    discrete=True,
                ),
            ),
            key="monitoring-health",
            width=8,
        ),
    )


class InAppPanel(NamedTuple):
    key: str
    alert: str
    title: str
    unit: str
    # The metric whose presence means "0, not no data" (queries.zero_filled); "" for none.
    metric: str
    discrete: bool
    # A query of its own instead of the alert's value, its legend, and what it shows.
    query: str = ""
    legend: str = "{{vendor}}"
    shows: str = ""


REQUESTS = "saas_api_requests_total"
WEBHOOKS = "saas_webhook_verifications_total"
IN_APP_PANELS = [
    InAppPanel("api-auth-errors", "SaasApiAuthErrors", "App: auth errors (401/403)",
               "short", REQUESTS, True),
    InAppPanel("api-server-errors", "SaasApiServerErrors", "App: 5xx, timeouts, connection errors",
               "short", REQUESTS, False),
    InAppPanel("api-rate-limited", "SaasApiRateLimited", "App: throttled (429)",
               "short", REQUESTS, False),
    InAppPanel("api-latency-p95", "SaasApiHighLatency", "App: P95 latency", "s", "", False),
    InAppPanel("webhook-signature-invalid", "SaasWebhookSignatureInvalid",
               "Webhooks: invalid signatures", "short", WEBHOOKS, True),
    InAppPanel("webhook-quiet", "SaasWebhookQuiet", "Webhooks: time since the last delivery",
               "short", "", False, queries.WEBHOOK_QUIET_PERIODS, "{{vendor}} {{webhook}}",
               "Quiet periods since each webhook's last valid delivery (SaasWebhookQuiet "
               "fires past 1 for a webhook that used to deliver steadily)."),
    InAppPanel("webhook-delayed", "SaasWebhookDelayed", "Webhooks: P95 delivery lag",
               "s", "", False, queries.WEBHOOK_LAG_P95, "{{vendor}} {{webhook}}",
               "P95 of receipt time minus the event's meta.timestamp, per webhook: the "
               "value SaasWebhookDelayed compares (over 10 minutes)."),
]  # fmt: skip


def in_app_row(table: Table, layout: Layout) -> None:
    layout.row("Our application's calls (in-app instrumentation)")
    for index, panel in enumerate(IN_APP_PANELS):
        row = table.alert(panel.alert)
        if panel.query:
            expr = panel.query
        elif panel.metric:
            expr = queries.zero_filled(table, panel.alert, panel.metric)
        else:
            expr = queries.alert_expr(table, panel.alert)
        layout.add(
            "timeseries",
            timeseries_panel(panel.unit, lines=True),
            PanelSpec(
                title=panel.title,
                shows=panel.shows
                or f"{row.unit[:1].upper()}{row.unit[1:]}: the value {panel.alert} compares.",
                queries=(Query("A", expr, panel.legend),),
                key=panel.key,
                alert=panel.alert,
                discrete=panel.discrete,
                width=8 if index < 3 else 12,
            ),
        )
