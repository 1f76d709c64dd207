"""Dashboard scaffolding shared by every generated dashboard: variables, links,
visualisation defaults, and the layout that numbers panels and records their keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import (
    common,
    dashboard,
    stat,
    statetimeline,
    timeseries,
)
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

from . import grafana
from .panels import PanelSpec, configure, description
from .spec import Table

DASHBOARD_DIR = "dashboards"
TAGS = ["saas-exporter"]


@dataclass(frozen=True)
class Rendered:
    uid: str
    title: str
    path: str
    built: model.Dashboard
    # The table's dashboard_panel keys, each with the title of the panel that answers it.
    panel_keys: dict[str, str]
    # (panel title, type, description) in layout order, for the README.
    panels: list[tuple[str, str, str]]


class Layout:
    """Collects panels in order with stable ids, and remembers keys and text."""

    def __init__(self, table: Table, board: dashboard.Dashboard) -> None:
        self.table = table
        self.board = board
        self.next_id = 1
        self.panel_keys: dict[str, str] = {}
        self.panels: list[tuple[str, str, str]] = []

    def row(self, title: str) -> None:
        self.board = self.board.with_row(dashboard.Row(title).id(self.next_id))
        self.next_id += 1

    def add(self, kind: str, builder: Any, spec: PanelSpec) -> None:
        built = configure(self.table, builder, spec, self.next_id)
        self.next_id += 1
        self.board = self.board.with_panel(built)
        if spec.key:
            self.panel_keys[spec.key] = spec.title
        self.panels.append((spec.title, kind, description(self.table, spec)))


def query_variable(
    name: str, selector: str, all_value: str, *, multi: bool = False
) -> dashboard.QueryVariable:
    """A label_values variable with "All" (all_value is the regex "All" stands for)."""
    variable = (
        dashboard.QueryVariable(name)
        .label(name.capitalize())
        .datasource(grafana.DATASOURCE)
        .query(label_values(selector, name))
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .include_all(True)
        .all_value(all_value)
    )
    return variable.multi(True) if multi else variable


def variables(vendor_metric: str, extra: list[Any]) -> list[Any]:
    datasource = dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
    return [datasource, query_variable("vendor", vendor_metric, ".+"), *extra]


def label_values(selector: str, label: str) -> dict[str, object]:
    return {
        "qryType": 1,
        "query": f"label_values({selector}, {label})",
        "refId": "PrometheusVariableQueryEditor-VariableQuery",
    }


def new_board(title: str, uid: str, description: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .editable()
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
    )


def link(title: str, url: str, *, keep: bool = False) -> dashboard.DashboardLink:
    link = dashboard.DashboardLink(title).type(model.DashboardLinkType.LINK).url(url)
    if keep:
        return link.include_vars(True).keep_time(True)
    return link.target_blank(True)


def stat_panel() -> stat.Panel:
    return (
        stat.Panel()
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .text_mode(common_model.BigValueTextMode.VALUE_AND_NAME)
        .color_mode(common_model.BigValueColorMode.BACKGROUND)
        .graph_mode(common_model.BigValueGraphMode.NONE)
    )


def timeseries_panel(unit: str, *, bars: bool = False, lines: bool = False) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .unit(unit)
        .legend(
            common.VizLegendOptions()
            .display_mode(common_model.LegendDisplayMode.TABLE)
            .placement(common_model.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
        .tooltip(common.VizTooltipOptions().mode(common_model.TooltipDisplayMode.MULTI))
    )
    if bars:
        panel = (
            panel.draw_style(common_model.GraphDrawStyle.BARS)
            .fill_opacity(80)
            .stacking(common.StackingConfig().mode(common_model.StackingMode.NORMAL))
        )
    if lines:
        panel = panel.thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_model.GraphThresholdsStyleMode.DASHED)
        )
    return panel


def timeline_panel(states: tuple[str, ...], colors: tuple[str, ...]) -> statetimeline.Panel:
    return (
        statetimeline.Panel()
        .mappings(grafana.value_mappings(states, colors))
        .show_value(common_model.VisibilityMode.NEVER)
        .merge_values(True)
        .legend(common.VizLegendOptions().show_legend(False))
    )


def alert_list_panel(name_filter: str, label_filter: str) -> dashboard.Panel:
    """Firing and pending alerts whose name contains `name_filter`, most important first."""
    return (
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
                "alertName": name_filter,
                "alertInstanceLabelFilter": label_filter,
                "showInstances": True,
                "stateFilter": {
                    "firing": True,
                    "pending": True,
                    "noData": False,
                    "normal": False,
                    "error": True,
                },
            }
        )
    )


def hide_columns(*names: str) -> model.DataTransformerConfig:
    return model.DataTransformerConfig(
        id_val="organize", options={"excludeByName": {name: True for name in names}}
    )


def by_ref(ref: str, properties: list[model.DynamicConfigValue]):
    return (model.MatcherConfig(id_val="byFrameRefID", options=ref), properties)


def prop(name: str, value: object) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val=name, value=value)


def rendered(uid: str, title: str, layout: Layout) -> Rendered:
    return Rendered(
        uid=uid,
        title=title,
        path=f"{DASHBOARD_DIR}/{uid}.json",
        built=layout.board.build(),
        panel_keys=layout.panel_keys,
        panels=layout.panels,
    )
