"""The in-app traffic detail: our application's own calls to the vendor and the
webhooks it receives (saas_inapp.instrument, saas_inapp.webhooks)."""

from __future__ import annotations

from . import queries
from .alerting import dashboard_url
from .layout import (
    Layout,
    Rendered,
    by_ref,
    link,
    new_board,
    prop,
    query_variable,
    rendered,
    timeseries_panel,
    variables,
)
from .panels import PanelSpec
from .queries import Query
from .spec import Table

IN_APP_UID = "saas-in-app-traffic"


def in_app_traffic(table: Table) -> Rendered:
    title = "SaaS vendors: in-app traffic"
    grid = new_board(
        title,
        IN_APP_UID,
        "Our application's own calls to the vendor and the webhooks it receives "
        "(saas_inapp.instrument). Generated from rules/thresholds.yaml.",
    )
    endpoint = query_variable(
        "endpoint", 'saas_api_requests_total{vendor=~"$vendor"}', ".*", multi=True
    )
    for variable in variables("saas_api_requests_total", [endpoint]):
        grid = grid.with_variable(variable)
    overview_uid = table.settings.dashboard_uid
    grid = grid.links([link("Incident overview", dashboard_url(table, overview_uid), keep=True)])
    layout = Layout(table, grid)
    layout.add(
        "timeseries",
        timeseries_panel("reqps", bars=False),
        PanelSpec(
            title="Requests by response code",
            shows="Application requests per second by HTTP status, timeout or connection error.",
            queries=(Query("A", queries.IN_APP_BY_CODE, "{{vendor}} {{code}}"),),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("reqps"),
        PanelSpec(
            title="Requests by endpoint",
            shows="Application requests per second by route template.",
            queries=(Query("A", queries.IN_APP_BY_ENDPOINT, "{{vendor}} {{endpoint}}"),),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("percentunit"),
        PanelSpec(
            title="Error ratio by endpoint",
            shows="Share of requests per endpoint that did not end in a 2xx.",
            queries=(Query("A", queries.IN_APP_ERROR_RATIO, "{{vendor}} {{endpoint}}"),),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("s", lines=True),
        PanelSpec(
            title="Latency by endpoint",
            shows="P50, P95 and P99 request latency per endpoint; the dashed line is the "
            "in-app latency alert's threshold (it compares P95 over 5 minutes).",
            queries=tuple(
                Query(
                    ref,
                    queries.in_app_latency(q),
                    f"{{{{vendor}}}} {{{{endpoint}}}} P{round(q * 100)}",
                )
                for ref, q in (("A", 0.5), ("B", 0.95), ("C", 0.99))
            ),
            alert="SaasApiHighLatency",
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("short", lines=True),
        PanelSpec(
            title="Rate-limit headroom per endpoint",
            shows="Requests remaining and each window's limit, from the application's own "
            "responses, and their latest Retry-After (seconds, right axis); the "
            "headroom alert prefers these over the probe's while they are fresh.",
            queries=(
                Query("A", queries.APP_REMAINING, "{{vendor}} {{account}} {{endpoint}} remaining"),
                Query(
                    "B",
                    queries.APP_LIMIT,
                    "{{vendor}} {{account}} {{endpoint}} limit per {{window}}s",
                ),
                Query(
                    "C",
                    queries.APP_RETRY_AFTER,
                    "{{vendor}} {{account}} {{endpoint}} Retry-After",
                ),
            ),
            alert="SaasRateLimitHeadroomLow",
            extra_overrides=(
                by_ref("B", [prop("custom.lineStyle", {"fill": "dash", "dash": [10, 10]})]),
                by_ref("C", [prop("unit", "s"), prop("custom.axisPlacement", "right")]),
            ),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("s", lines=True),
        PanelSpec(
            title="Webhook delivery lag",
            shows="P95 of receipt time minus the event's meta.timestamp, per webhook; the "
            "dashed line is SaasWebhookDelayed's threshold.",
            queries=(Query("A", queries.WEBHOOK_LAG_P95, "{{vendor}} {{webhook}} P95"),),
            alert="SaasWebhookDelayed",
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("short", bars=True),
        PanelSpec(
            title="Webhook verifications by result",
            shows="Webhooks checked per interval: valid, invalid_signature, stale, duplicate, "
            "malformed.",
            queries=(Query("A", queries.WEBHOOK_RESULTS, "{{vendor}} {{result}}"),),
            width=24,
        ),
    )
    return rendered(IN_APP_UID, title, layout)
