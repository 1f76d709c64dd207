"""The in-app traffic detail: our application's own calls to the vendor and the
webhooks it receives (saas_inapp.instrument, saas_inapp.webhooks)."""

from __future__ import annotations

from .grafana import VENDOR, Query
from .layout import (
    Layout,
    Rendered,
    dashboard_url,
    link,
    new_board,
    query_variable,
    rendered,
    timeseries_panel,
    variables,
)
from .panels import PanelSpec
from .thresholds import Table

IN_APP_UID = "saas-in-app-traffic"
IN_APP = 'vendor=~"$vendor", endpoint=~"$endpoint"'


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
    overview_uid = table.settings["dashboard_uid"]
    grid = grid.links([link("Incident overview", dashboard_url(table, overview_uid), keep=True)])
    layout = Layout(table, grid)
    requests = f"saas_api_requests_total{{{IN_APP}}}"
    rate = f"rate({requests}[$__rate_interval])"
    layout.add(
        "timeseries",
        timeseries_panel("reqps", bars=False),
        PanelSpec(
            title="Requests by response code",
            shows="Application requests per second by HTTP status, timeout or connection error.",
            queries=(Query("A", f"sum by (vendor, code) ({rate})", "{{vendor}} {{code}}"),),
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("reqps"),
        PanelSpec(
            title="Requests by endpoint",
            shows="Application requests per second by route template.",
            queries=(Query("A", f"sum by (vendor, endpoint) ({rate})", "{{vendor}} {{endpoint}}"),),
        ),
    )
    errors = f'rate(saas_api_requests_total{{{IN_APP}, code!~"2.."}}[$__rate_interval])'
    layout.add(
        "timeseries",
        timeseries_panel("percentunit"),
        PanelSpec(
            title="Error ratio by endpoint",
            shows="Share of requests per endpoint that did not end in a 2xx.",
            queries=(
                Query(
                    "A",
                    f"(sum by (vendor, endpoint) ({errors})"
                    f" or sum by (vendor, endpoint) ({rate}) * 0)"
                    f" / sum by (vendor, endpoint) ({rate})",
                    "{{vendor}} {{endpoint}}",
                ),
            ),
        ),
    )
    buckets = f"rate(saas_api_request_duration_seconds_bucket{{{IN_APP}}}[$__rate_interval])"
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
                    f"histogram_quantile({q}, sum by (vendor, endpoint, le) ({buckets}))",
                    f"{{{{vendor}}}} {{{{endpoint}}}} P{round(q * 100)}",
                )
                for ref, q in (("A", 0.5), ("B", 0.95), ("C", 0.99))
            ),
            alert="SaasApiHighLatency",
        ),
    )
    layout.add(
        "timeseries",
        timeseries_panel("short", bars=True),
        PanelSpec(
            title="Webhook verifications by result",
            shows="Webhooks checked per interval: valid, invalid_signature, stale, duplicate, "
            "malformed.",
            queries=(
                Query(
                    "A",
                    "sum by (vendor, result) (increase(saas_webhook_verifications_total"
                    f"{{{VENDOR}}}[$__rate_interval]))",
                    "{{vendor}} {{result}}",
                ),
            ),
            width=24,
        ),
    )
    return rendered(IN_APP_UID, title, layout)
