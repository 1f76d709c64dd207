"""The families that are not per account: the exporter's own and the config's (rendered
once), and each vendor's status page (one target per vendor). Per-target probe series
are formatted by ``series.TargetLines``; ``SaasCollector`` adapts all of it for a
prometheus_client registry."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from .buildinfo import build_info
from .catalog import STATUSPAGE_PROBE
from .config import ExporterConfig
from .maintenance_metrics import maintenance_families
from .probes.result import COMPONENT_STATUSES, IMPACTS, INDICATORS
from .revisions import RevisionLifecycle, revision_lifecycle
from .state import ResultStore, TargetState


class SaasCollector(Collector):
    def __init__(self, config: ExporterConfig, store: ResultStore):
        self.config = config
        self.store = store

    def collect(self) -> Iterator[Metric]:
        from .exposition import IncrementalExposition

        text = IncrementalExposition(self.config, self.store).render().decode()
        yield from text_string_to_metric_families(text)

    def collect_global(self) -> Iterator[Metric]:
        """Families that depend on the config only."""
        yield from self._exporter_families()
        yield self._expected_family()
        yield self._api_components_family()

    def collect_statuspage(self, states: list[TargetState]) -> Iterator[Metric]:
        """A status-page target's families: its samples depend on its state alone."""
        yield from self._statuspage_families(states)
        yield from maintenance_families(states)

    def _exporter_families(self) -> Iterator[Metric]:
        built = build_info()
        build = GaugeMetricFamily(
            "saas_exporter_build_info",
            "saas-exporter build: version, source revision and build date (as --version).",
            labels=["version", "revision", "build_date"],
        )
        build.add_metric([built.version, built.revision, built.build_date], 1)
        yield build
        info = GaugeMetricFamily(
            "saas_exporter_config_info",
            "Loaded configuration: number of vendors and accounts.",
            labels=["vendors", "accounts"],
        )
        accounts = sum(len(v.accounts) for v in self.config.vendors)
        info.add_metric([str(len(self.config.vendors)), str(accounts)], 1)
        yield info
        revision = GaugeMetricFamily(
            "saas_api_revision_info", "API revision the probes send.", labels=["vendor", "revision"]
        )
        deprecation = GaugeMetricFamily(
            "saas_api_revision_deprecation_timestamp_seconds",
            "When the configured API revision becomes deprecated (revision date + 1 year).",
            labels=["vendor"],
        )
        retirement = GaugeMetricFamily(
            "saas_api_revision_retirement_timestamp_seconds",
            "When the configured API revision is retired (revision date + 2 years).",
            labels=["vendor"],
        )
        for vendor in self.config.vendors:
            if not vendor.revision:
                continue
            revision.add_metric([vendor.name, vendor.revision], 1)
            try:
                life = revision_lifecycle(vendor.revision)
            except ValueError:
                # The config check refuses such a revision; a scrape must never fail on it.
                continue
            deprecation.add_metric([vendor.name], RevisionLifecycle.timestamp(life.deprecated))
            retirement.add_metric([vendor.name], RevisionLifecycle.timestamp(life.retired))
        yield revision
        yield deprecation
        yield retirement

    def _expected_family(self) -> Metric:
        expected = GaugeMetricFamily(
            "saas_account_expected_info",
            "The account id the key is configured to answer for.",
            labels=["vendor", "account", "expected_account_id"],
        )
        for vendor in self.config.vendors:
            for account in vendor.accounts:
                if account.expected_account_id:
                    expected.add_metric([vendor.name, account.name, account.expected_account_id], 1)
        return expected

    def _api_components_family(self) -> Metric:
        family = GaugeMetricFamily(
            "saas_statuspage_api_component_info",
            "Status-page components that are the API the integration calls (catalog or "
            "config); the cause rule reads their status.",
            labels=["vendor", "component"],
        )
        for vendor in self.config.vendors:
            if vendor.statuspage_url is None:
                continue
            for component in vendor.statuspage_api_components:
                family.add_metric([vendor.name, component], 1)
        return family

    def _statuspage_families(self, states: list[TargetState]) -> Iterator[Metric]:
        indicator = GaugeMetricFamily(
            "saas_statuspage_indicator",
            "Vendor status page overall indicator, one series per state.",
            labels=["vendor", "indicator"],
        )
        components = GaugeMetricFamily(
            "saas_statuspage_component_status",
            "Vendor status page component status, one series per state.",
            labels=["vendor", "component", "group", "status"],
        )
        incidents = GaugeMetricFamily(
            "saas_statuspage_incidents",
            "Unresolved incidents on the vendor status page.",
            labels=["vendor", "impact"],
        )
        incident_info = GaugeMetricFamily(
            "saas_statuspage_incident_info",
            "Unresolved incident on the vendor status page.",
            labels=["vendor", "id", "name", "impact", "status", "url"],
        )
        maintenances = GaugeMetricFamily(
            "saas_statuspage_active_maintenances",
            "Scheduled maintenances in progress.",
            labels=["vendor"],
        )
        dropped = CounterMetricFamily(
            "saas_statuspage_items_dropped",
            "Status-page components or incidents not kept, past global.limits.max_components "
            "or max_incidents.",
            labels=["vendor", "item"],
        )
        for state in states:
            if state.target.probe == STATUSPAGE_PROBE:
                for item in ("component", "incident"):
                    dropped.add_metric([state.target.vendor.name, item], state.dropped.get(item, 0))
            page = state.statuspage
            if page is None:
                continue
            vendor = state.target.vendor.name
            for value in INDICATORS:
                indicator.add_metric([vendor, value], 1 if page.indicator == value else 0)
            for comp in page.components:
                for value in COMPONENT_STATUSES:
                    components.add_metric(
                        [vendor, comp.name, comp.group, value], 1 if comp.status == value else 0
                    )
            for impact in IMPACTS:
                count = sum(1 for i in page.incidents if i.impact == impact)
                incidents.add_metric([vendor, impact], count)
            for inc in page.incidents:
                incident_info.add_metric(
                    [vendor, inc.id, inc.name, inc.impact, inc.status, inc.url], 1
                )
            maintenances.add_metric([vendor], page.active_maintenances)
        yield from (indicator, components, incidents, incident_info, maintenances, dropped)
