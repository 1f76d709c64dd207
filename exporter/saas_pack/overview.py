"""The incident overview's layout: is the vendor up for us, is it them or us, how
much rate-limit budget is left, what fires and what to do.

This module builds the board and its top row of stats; the rows below are in
overview_rows.py, every query's PromQL in queries.py, and the text panel's Markdown in
overview_text.py.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import text
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as dashboard_model
from grafana_foundation_sdk.models import text as text_model

from . import grafana, overview_rows, probe_sets, queries
from .alerting import dashboard_url
from .grafana import INDICATOR_COLORS, UP_COLORS, UP_STATES
from .inapp_dashboard import IN_APP_UID
from .layout import (
    Layout,
    Rendered,
    by_ref,
    link,
    new_board,
    prop,
    query_variable,
    rendered,
    stat_panel,
    variables,
)
from .overview_text import thresholds_and_runbooks
from .panels import PanelSpec
from .queries import INDICATOR_STATES, Query
from .spec import Table


def _top_stat(layout: Layout, builder: Any, title: str, shows: str, query: Query, **kw) -> None:
    """A single-query stat of the top row."""
    spec = PanelSpec(title=title, shows=shows, queries=(query,), width=4, height=5, **kw)
    layout.add("stat", builder, spec)


def _top_row(table: Table, layout: Layout) -> None:
    _top_stat(
        layout,
        stat_panel().mappings(grafana.value_mappings(UP_STATES, UP_COLORS)),
        "API up",
        "Whether the identity probe (the key, for the right account) succeeds now, "
        "per vendor and account.",
        Query("A", queries.api_up(table), "{{vendor}} {{account}}", instant=True),
    )
    _top_stat(
        layout,
        stat_panel().mappings(grafana.value_mappings(INDICATOR_STATES, INDICATOR_COLORS)),
        "Status page",
        "The vendor's status page indicator: none, maintenance, minor, major, critical.",
        Query("A", queries.INDICATOR_LEVEL, "{{vendor}}", instant=True),
    )
    _top_stat(
        layout,
        stat_panel().color_mode(common_model.BigValueColorMode.NONE),
        "Open vendor incidents",
        "Unresolved incidents on the vendor's status page, all impacts.",
        Query("A", queries.OPEN_INCIDENTS, "{{vendor}}", instant=True),
    )
    layout.add(
        "stat",
        stat_panel(),
        PanelSpec(
            title="Rate-limit headroom",
            shows=(
                "Requests left in the current rate-limit window: the application's own "
                "responses while fresh (saas_inapp), else the headroom probe's "
                f"({'|'.join(probe_sets.across_kinds(table.catalog, 'headroom'))}); and as "
                "a share of that probe's smallest window limit."
            ),
            queries=(
                Query(
                    "A",
                    queries.headroom_left(table),
                    "{{vendor}} {{account}} left",
                    instant=True,
                    alert="SaasRateLimitHeadroomLow",
                    discrete=True,
                ),
                Query(
                    "B",
                    queries.headroom_share(table),
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
            queries.alert_expr(table, "SaasProbeHighLatency"),
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
            queries=(Query("A", queries.firing_by_priority(table), "{{priority}}", instant=True),),
            width=4,
            height=5,
            extra_overrides=grafana.priority_count_overrides(tuple(table.priorities)),
        ),
    )


def overview(table: Table) -> Rendered:
    uid = table.settings.dashboard_uid
    title = "SaaS vendors: incident overview"
    grid = new_board(
        title,
        uid,
        "Is the vendor up for us, is it them or us, how much rate-limit budget is left, "
        "what fires and what to do. Generated from rules/thresholds.yaml.",
    )
    account = query_variable("account", queries.ACCOUNT_VARIABLE, ".*")
    for variable in variables("saas_probe_success", [account]):
        grid = grid.with_variable(variable)
    links: list[Builder[dashboard_model.DashboardLink]] = [
        link("Runbooks", f"{table.settings.runbook_base_url}/README.md")
    ]
    links += [
        link(f"{v.display_name} status page", v.status_page_url)
        for v in table.vendors
        if v.status_page_url
    ]
    links.append(link("In-app traffic", dashboard_url(table, IN_APP_UID), keep=True))
    grid = grid.links(links)
    layout = Layout(table, grid)
    _top_row(table, layout)
    overview_rows.probe_rows(table, layout)
    overview_rows.alerts_row(table, layout)
    overview_rows.identity_rows(table, layout)
    overview_rows.in_app_row(table, layout)
    layout.row("Runbooks, thresholds and status pages")
    layout.add(
        "text",
        text.Panel().mode(text_model.TextMode.MARKDOWN).content(thresholds_and_runbooks(table)),
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
