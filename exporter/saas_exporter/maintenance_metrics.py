"""The announced maintenances of each status page as metric families.

Cardinality is bounded: at most ``maintenances.max_per_vendor`` maintenances per vendor
(default 20; the rest are counted in saas_statuspage_maintenances_dropped_total), each
with the components it names (a page's components are bounded by the page).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from .catalog import STATUSPAGE_PROBE
from .state import TargetState


def maintenance_families(states: list[TargetState]) -> Iterator[Metric]:
    info = GaugeMetricFamily(
        "saas_statuspage_maintenance_info",
        "A scheduled maintenance the vendor's status page announces (upcoming or in "
        "progress); url is the vendor's notice.",
        labels=["vendor", "id", "name", "status", "url"],
    )
    component = GaugeMetricFamily(
        "saas_statuspage_maintenance_component_info",
        "A status-page component an announced maintenance affects.",
        labels=["vendor", "id", "component"],
    )
    start = GaugeMetricFamily(
        "saas_statuspage_maintenance_start_timestamp_seconds",
        "When an announced maintenance window starts (Unix time).",
        labels=["vendor", "id"],
    )
    end = GaugeMetricFamily(
        "saas_statuspage_maintenance_end_timestamp_seconds",
        "When an announced maintenance window ends (Unix time).",
        labels=["vendor", "id"],
    )
    feed_success = GaugeMetricFamily(
        "saas_statuspage_maintenance_feed_success",
        "1 when the latest status-page probe read the page's maintenance feed, 0 when it "
        "failed (the maintenances read before are kept); absent for a page with no feed.",
        labels=["vendor"],
    )
    dropped = CounterMetricFamily(
        "saas_statuspage_maintenances_dropped",
        "Announced maintenances not exported, past maintenances.max_per_vendor, summed "
        "over status-page probes.",
        labels=["vendor"],
    )
    for state in states:
        if state.target.probe != STATUSPAGE_PROBE:
            continue
        vendor = state.target.vendor.name
        dropped.add_metric([vendor], state.maintenances_dropped)
        feed = state.statuspage.maintenances if state.statuspage else None
        if feed is None:
            continue
        feed_success.add_metric([vendor], 1 if feed.ok else 0)
        for item in feed.maintenances:
            info.add_metric([vendor, item.id, item.name, item.status, item.url], 1)
            for name in item.components:
                component.add_metric([vendor, item.id, name], 1)
            if item.starts_at is not None:
                start.add_metric([vendor, item.id], item.starts_at)
            if item.ends_at is not None:
                end.add_metric([vendor, item.id], item.ends_at)
    yield from (info, component, start, end, feed_success, dropped)
