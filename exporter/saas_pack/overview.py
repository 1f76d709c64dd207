"""The incident overview: is the vendor up for us, is it them or us, how much
rate-limit budget is left, what fires and what to do.

Alert-backed panels query the alert's own expression (rules/thresholds.yaml) with the
dashboard's variables as the vendor matcher, and draw the alert's threshold.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import (
    dashboard,
    text,
)
from grafana_foundation_sdk.builders import table as table_panel
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import text as text_model

from saas_exporter.catalog import CATALOG

from . import grafana, promql
from .grafana import VENDOR, VENDOR_ACCOUNT, VENDOR_ACCOUNT_OR_PAGE, Query
from .inapp_dashboard import IN_APP_UID
from .layout import (
    Layout,
    Rendered,
    by_ref,
    dashboard_url,
    hide_columns,
    link,
    new_board,
    prop,
    query_variable,
    rendered,
    stat_panel,
    timeline_panel,
    timeseries_panel,
    variables,
)
from .panels import ROW_VENDOR, PanelSpec
from .thresholds import Table

# The identity probe of every vendor kind ("accounts" for Klaviyo), and the probes
# that measure rate-limit headroom: a kind's other account probes ("profiles"), or
# its identity probe when it has no other.
IDENTITY_PROBES = "|".join(sorted({kind.identity_probe for kind in CATALOG.kinds.values()}))
HEADROOM_PROBES = "|".join(
    sorted(
        {
            probe
            for kind in CATALOG.kinds.values()
            for probe in (
                [p for p in kind.account_probes if p != kind.identity_probe]
                or [kind.identity_probe]
            )
        }
    )
)

INDICATOR_LEVELS = [
    ("none", "green"),
    ("maintenance", "blue"),
    ("minor", "yellow"),
    ("major", "orange"),
    ("critical", "red"),
]
COMPONENT_LEVELS = [
    ("operational", "green"),
    ("under_maintenance", "blue"),
    ("degraded_performance", "yellow"),
    ("partial_outage", "orange"),
    ("major_outage", "red"),
]
UP_LEVELS = [("down", "red"), ("up", "green")]


def firing_by_priority(table: Table) -> str:
    """Firing alerts of this pack per priority; every priority present, 0 when none.

    The names come from the table; SaasExporterDown carries vendor="all".
    """
    names = "|".join(row["alert"] for row in table.alerts)
    counted = (
        f'count by (priority) (ALERTS{{alertname=~"{names}", alertstate="firing", '
        f'vendor=~"$vendor|all"}})'
    )
    zeros = [f'label_replace(vector(0), "priority", "{p}", "", "")' for p in table.priorities]
    return " or ".join([counted, *zeros])


def _zero_filled(table: Table, alert: str, metric: str) -> str:
    """An in-app alert's value, 0 (not "no data") while the app reports the metric
    but nothing matches the alert's filter; no data only when the metric is absent."""
    return f"({grafana.alert_expr(table, alert)}) or (group by (vendor) ({metric}{{{VENDOR}}}) * 0)"


def _top_stat(layout: Layout, builder: Any, title: str, shows: str, query: Query, **kw) -> None:
    """A single-query stat of the top row."""
    spec = PanelSpec(title=title, shows=shows, queries=(query,), width=4, height=5, **kw)
    layout.add("stat", builder, spec)


def _top_row(table: Table, layout: Layout) -> None:
    _top_stat(
        layout,
        stat_panel().mappings(grafana.value_mappings(UP_LEVELS)),
        "API up",
        "Whether the identity probe (the key, for the right account) succeeds now, "
        "per vendor and account.",
        Query(
            "A",
            "min by (vendor, account) (saas_probe_success"
            f'{{{VENDOR_ACCOUNT}, probe=~"{IDENTITY_PROBES}"}})',
            "{{vendor}} {{account}}",
            instant=True,
        ),
    )
    indicator = [state for state, _ in INDICATOR_LEVELS]
    _top_stat(
        layout,
        stat_panel().mappings(grafana.value_mappings(INDICATOR_LEVELS)),
        "Status page",
        "The vendor's status page indicator: none, maintenance, minor, major, critical.",
        Query(
            "A",
            grafana.level_expr(
                "saas_statuspage_indicator", "indicator", indicator, VENDOR, "vendor"
            ),
            "{{vendor}}",
            instant=True,
        ),
    )
    _top_stat(
        layout,
        stat_panel().color_mode(common_model.BigValueColorMode.NONE),
        "Open vendor incidents",
        "Unresolved incidents on the vendor's status page, all impacts.",
        Query(
            "A",
            f"sum by (vendor) (saas_statuspage_incidents{{{VENDOR}}})",
            "{{vendor}}",
            instant=True,
        ),
    )
    headroom = f'{VENDOR_ACCOUNT}, probe=~"{HEADROOM_PROBES}"'
    layout.add(
        "stat",
        stat_panel(),
        PanelSpec(
            title="Rate-limit headroom",
            shows=(
                f"Requests left in the current rate-limit window on the headroom probe "
                f"({HEADROOM_PROBES}), and as a share of that probe's smallest window limit."
            ),
            queries=(
                Query(
                    "A",
                    grafana.alert_expr(table, "SaasRateLimitHeadroomLow", headroom),
                    "{{vendor}} {{account}} left",
                    instant=True,
                    alert="SaasRateLimitHeadroomLow",
                    discrete=True,
                ),
                Query(
                    "B",
                    f"min by (vendor, account) (saas_ratelimit_remaining{{{headroom}}}"
                    " / on (vendor, account, probe) group_left"
                    f" min by (vendor, account, probe) (saas_ratelimit_limit{{{headroom}}}))",
                    "{{vendor}} {{account}} of limit",
                    instant=True,
                ),
            ),
            width=4,
            height=5,
            extra_overrides=(
                by_ref(
                    "B",
                    [
                        prop("unit", "percentunit"),
                        prop("color", {"mode": "fixed", "fixedColor": "text"}),
                    ],
                ),
            ),
        ),
    )
    _top_stat(
        layout,
        stat_panel().unit("s"),
        "Probe P95 latency",
        "95th percentile probe latency, the value SaasProbeHighLatency compares.",
        Query(
            "A",
            grafana.alert_expr(table, "SaasProbeHighLatency"),
            "{{vendor}} {{account}} {{probe}}",
            instant=True,
        ),
        alert="SaasProbeHighLatency",
    )
    layout.add(
        "stat",
        stat_panel().text_mode(common_model.BigValueTextMode.VALUE_AND_NAME),
        PanelSpec(
            title="Firing alerts by priority",
            shows="How many alerts of this pack fire now, per priority (P1 pages first).",
            queries=(Query("A", firing_by_priority(table), "{{priority}}", instant=True),),
            width=4,
            height=5,
            extra_overrides=tuple(
                (
                    model.MatcherConfig(id_val="byName", options=priority),
                    [
                        prop(
                            "thresholds",
                            grafana.thresholds_config(
                                [
                                    model.Threshold(None, grafana.OK_COLOR),
                                    model.Threshold(1, grafana.PRIORITY_COLORS[priority]),
                                ]
                            ),
                        )
                    ],
                )
                for priority in table.priorities
            ),
        ),
    )


def _probe_rows(table: Table, layout: Layout) -> None:
    layout.row("Is it them or us: probes and status page")
    layout.add(
        "state-timeline",
        timeline_panel(UP_LEVELS),
        PanelSpec(
            title="Probe success",
            shows="Each probe's result over time: up or down, per account and probe.",
            queries=(
                Query(
                    "A",
                    f"saas_probe_success{{{VENDOR_ACCOUNT_OR_PAGE}}}",
                    "{{vendor}} {{account}} {{probe}}",
                ),
            ),
        ),
    )
    components = [state for state, _ in COMPONENT_LEVELS]
    indicator = [state for state, _ in INDICATOR_LEVELS]
    layout.add(
        "state-timeline",
        timeline_panel(COMPONENT_LEVELS),
        PanelSpec(
            title="Status page components",
            shows="The status page's overall indicator and every component's status over time.",
            queries=(
                Query(
                    "A",
                    grafana.level_expr(
                        "saas_statuspage_indicator", "indicator", indicator, VENDOR, "vendor"
                    ),
                    "{{vendor}} overall",
                ),
                Query(
                    "B",
                    grafana.level_expr(
                        "saas_statuspage_component_status",
                        "status",
                        components,
                        VENDOR,
                        "vendor, component, group",
                    ),
                    "{{vendor}} {{group}} {{component}}",
                ),
            ),
            key="statuspage",
            extra_overrides=(
                by_ref("A", [prop("mappings", grafana.value_mappings(INDICATOR_LEVELS))]),
            ),
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
                    grafana.alert_expr(table, "SaasProbeHighLatency"),
                    "{{vendor}} {{account}} {{probe}} P95",
                ),
                Query(
                    "B",
                    f"saas_probe_duration_seconds{{{VENDOR_ACCOUNT_OR_PAGE}}}",
                    "{{vendor}} {{account}} {{probe}} latest",
                ),
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
            queries=(
                Query(
                    "A",
                    "sum by (vendor, reason) (increase(saas_probe_failures_total"
                    f"{{{VENDOR_ACCOUNT_OR_PAGE}}}[$__rate_interval]))",
                    "{{vendor}} {{reason}}",
                ),
            ),
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
                "Requests remaining against each window's limit, per probe, and the "
                "vendor's latest Retry-After (seconds, right axis)."
            ),
            queries=(
                Query(
                    "A",
                    f"saas_ratelimit_remaining{{{VENDOR_ACCOUNT}}}",
                    "{{vendor}} {{account}} {{probe}} remaining",
                ),
                Query(
                    "B",
                    f"saas_ratelimit_limit{{{VENDOR_ACCOUNT}}}",
                    "{{vendor}} {{account}} {{probe}} limit per {{window}}s",
                ),
                Query(
                    "C",
                    f"saas_retry_after_seconds{{{VENDOR_ACCOUNT}}}",
                    "{{vendor}} {{account}} {{probe}} Retry-After",
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


def _alerts_row(table: Table, layout: Layout) -> None:
    layout.row("What is firing, and what to do")
    names = [row["alert"] for row in table.alerts]
    prefix = _common_prefix(names)
    layout.add(
        "alertlist",
        dashboard.Panel()
        .type("alertlist")
        .options(
            {
                "viewMode": "list",
                "groupMode": "default",
                "groupBy": [],
                "maxItems": 50,
                "sortOrder": 3,
                "dashboardAlerts": False,
                "alertName": prefix,
                "alertInstanceLabelFilter": '{vendor=~"$vendor|all"}',
                "showInstances": True,
                "stateFilter": {
                    "firing": True,
                    "pending": True,
                    "noData": False,
                    "normal": False,
                    "error": True,
                },
            }
        ),
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
            queries=(
                Query(
                    "A",
                    f"saas_statuspage_incident_info{{{VENDOR}}}",
                    "{{name}}",
                    instant=True,
                    table=True,
                ),
            ),
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


def _identity_rows(table: Table, layout: Layout) -> None:
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
            queries=(
                Query(
                    "A",
                    f"(saas_account_info{{{VENDOR_ACCOUNT}}} * on (vendor, account)"
                    " group_left (expected_account_id)"
                    f" saas_account_expected_info{{{VENDOR_ACCOUNT}}})"
                    f" or saas_account_info{{{VENDOR_ACCOUNT}}}",
                    "{{account}}",
                    instant=True,
                    table=True,
                ),
            ),
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
                    f"({grafana.alert_expr(table, 'SaasApiRevisionRetiring')})"
                    " * on (vendor) group_left (revision)"
                    f" max by (vendor, revision) (saas_api_revision_info{{{VENDOR}}})",
                    "{{vendor}} {{revision}} retires in days",
                    instant=True,
                    alert="SaasApiRevisionRetiring",
                ),
                grafana.alert_query(
                    table, "B", "SaasApiRevisionDeprecated", "{{vendor}} days since deprecation"
                ),
            ),
            key="api-revision",
            width=8,
        ),
    )
    absent = grafana.alert_expr(table, "SaasInAppMetricsAbsent")
    layout.add(
        "stat",
        stat_panel().decimals(1),
        PanelSpec(
            title="Monitoring health",
            shows=(
                "Whether the exporter is scraped, how many intervals ago each probe last "
                "ran, whether the status page is reachable, and whether in-app metrics are "
                "absent (1)."
            ),
            queries=(
                grafana.alert_query(
                    table, "A", "SaasExporterDown", "exporter up {{instance}}", True
                ),
                grafana.alert_query(
                    table,
                    "B",
                    "SaasProbesStale",
                    "{{vendor}} {{account}} {{probe}} intervals since last run",
                ),
                grafana.alert_query(
                    table,
                    "C",
                    "SaasStatusPageUnreachable",
                    "{{vendor}} status page reachable",
                    True,
                ),
                Query(
                    "D",
                    f"({absent}) or vector(0)",
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


IN_APP_PANELS: list[tuple[str, str, str, str, str, bool]] = [
    # key, alert, title, unit, metric whose presence means "0, not no data", discrete
    (
        "api-auth-errors",
        "SaasApiAuthErrors",
        "App: auth errors (401/403)",
        "short",
        "saas_api_requests_total",
        True,
    ),
    (
        "api-server-errors",
        "SaasApiServerErrors",
        "App: 5xx, timeouts, connection errors",
        "short",
        "saas_api_requests_total",
        False,
    ),
    (
        "api-rate-limited",
        "SaasApiRateLimited",
        "App: throttled (429)",
        "short",
        "saas_api_requests_total",
        False,
    ),
    ("api-latency-p95", "SaasApiHighLatency", "App: P95 latency", "s", "", False),
    (
        "webhook-signature-invalid",
        "SaasWebhookSignatureInvalid",
        "Webhooks: invalid signatures",
        "short",
        "saas_webhook_verifications_total",
        True,
    ),
]


def _in_app_row(table: Table, layout: Layout) -> None:
    layout.row("Our application's calls (in-app instrumentation)")
    for index, (key, alert, title, unit, metric, discrete) in enumerate(IN_APP_PANELS):
        row = table.alert(alert)
        expr = _zero_filled(table, alert, metric) if metric else grafana.alert_expr(table, alert)
        layout.add(
            "timeseries",
            timeseries_panel(unit, lines=True),
            PanelSpec(
                title=title,
                shows=f"{row['unit'][:1].upper()}{row['unit'][1:]}: the value {alert} compares.",
                queries=(Query("A", expr, "{{vendor}}"),),
                key=key,
                alert=alert,
                discrete=discrete,
                width=8 if index < 3 else 12,
            ),
        )


def _runbooks_text(table: Table) -> str:
    """Every alert with its priority, panel, condition per vendor and runbook links."""
    lines = [
        "Thresholds in force (rules/thresholds.yaml) and runbooks; "
        f"[runbook index]({table.settings['runbook_base_url']}/README.md).",
        "",
        "| alert | priority | panel | fires when | runbook |",
        "|---|---|---|---|---|",
    ]
    for row in table.alerts:
        conditions = []
        pages = []
        for instance in promql.instances(table, row):
            names = [v.name for v in instance.vendors]
            if not instance.matcher:
                names = [row.get("static_labels", {}).get("vendor", "all")]
            elif not instance.matcher.startswith('vendor="'):
                names.append("other vendors")
            scope = ", ".join(names)
            conditions.append(
                f"{scope}: {row['op']} {promql.number(instance.effective.threshold)} "
                f"for {instance.effective.for_}"
            )
        vendor_dirs = [v.name for v in table.vendors if table.applies(row, v)]
        static = row.get("static_labels", {}).get("vendor")
        for vendor_dir in [static] if static else vendor_dirs:
            url = f"{table.settings['runbook_base_url']}/{vendor_dir}/{row['alert']}.md"
            pages.append(f"[{vendor_dir}]({url})")
        lines.append(
            f"| {row['alert']} | {row['priority']} | `{row['dashboard_panel']}` | "
            f"{'; '.join(conditions)} ({row['unit']}) | {' '.join(pages)} |"
        )
    lines += [
        "",
        "Status pages: "
        + ", ".join(f"[{v.display_name}]({v.status_page_url})" for v in table.vendors)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def overview(table: Table) -> Rendered:
    uid = table.settings["dashboard_uid"]
    title = "SaaS vendors: incident overview"
    grid = new_board(
        title,
        uid,
        "Is the vendor up for us, is it them or us, how much rate-limit budget is left, "
        "what fires and what to do. Generated from rules/thresholds.yaml.",
    )
    account = query_variable("account", 'saas_probe_success{vendor=~"$vendor", account!=""}', ".*")
    for variable in variables("saas_probe_success", [account]):
        grid = grid.with_variable(variable)
    links = [link("Runbooks", f"{table.settings['runbook_base_url']}/README.md")]
    links += [link(f"{v.display_name} status page", v.status_page_url) for v in table.vendors]
    links.append(link("In-app traffic", dashboard_url(table, IN_APP_UID), keep=True))
    grid = grid.links(links)
    layout = Layout(table, grid)
    _top_row(table, layout)
    _probe_rows(table, layout)
    _alerts_row(table, layout)
    _identity_rows(table, layout)
    _in_app_row(table, layout)
    layout.row("Runbooks, thresholds and status pages")
    layout.add(
        "text",
        text.Panel().mode(text_model.TextMode.MARKDOWN).content(_runbooks_text(table)),
        PanelSpec(
            title="Runbooks and thresholds",
            shows=(
                "Every alert of the pack: priority, panel, threshold and `for` per vendor "
                "(per-vendor overrides included), runbook links; the vendors' status pages."
            ),
            width=24,
            height=16,
        ),
    )
    return rendered(uid, title, layout)
