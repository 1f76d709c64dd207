"""Renders the store into metric families, fresh on every collect (no stale label sets)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .buildinfo import build_info
from .catalog import STATUSPAGE_PROBE
from .config import ExporterConfig
from .maintenance_metrics import maintenance_families
from .probes.result import COMPONENT_STATUSES, FAILURE_REASONS, IMPACTS, INDICATORS
from .revisions import RevisionLifecycle, revision_lifecycle
from .state import LATENCY_BUCKETS, ResultStore, TargetState

PROBE_LABELS = ["vendor", "account", "probe"]


def _fmt_le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"


class SaasCollector(Collector):
    def __init__(self, config: ExporterConfig, store: ResultStore):
        self.config = config
        self.store = store

    def collect(self) -> Iterator[Metric]:
        yield from self.collect_global()
        yield from self.collect_states(list(self.store.states().values()))

    def collect_global(self) -> Iterator[Metric]:
        """Families that depend on the config only."""
        yield from self._exporter_families()
        yield self._expected_family()
        yield self._api_components_family()

    def collect_states(self, states: list[TargetState]) -> Iterator[Metric]:
        """Families built from targets' states; each target's samples depend on its state
        alone, so the renderer can reuse a target's lines until its state changes."""
        yield from self._probe_families(states)
        yield from self._ratelimit_families(states)
        yield from self._identity_families(states)
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

    def _probe_families(self, states: list[TargetState]) -> Iterator[Metric]:
        def gauge(name: str, doc: str, extra: list[str] | None = None) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=PROBE_LABELS + (extra or []))

        success = gauge("saas_probe_success", "1 when the latest probe succeeded, else 0.")
        duration = gauge("saas_probe_duration_seconds", "Duration of the latest probe.")
        status = gauge(
            "saas_probe_http_status_code", "HTTP status of the latest probe, 0 without a response."
        )
        failing = gauge(
            "saas_probe_failing",
            "1 for the reason the latest probe failed with, 0 for the others.",
            ["reason"],
        )
        last_success = gauge(
            "saas_probe_last_success_timestamp_seconds", "Unix time of the latest successful probe."
        )
        last_run = gauge(
            "saas_probe_last_run_timestamp_seconds", "Unix time the latest probe finished."
        )
        interval = gauge("saas_probe_interval_seconds", "Configured probe interval.")
        failures = CounterMetricFamily(
            "saas_probe_failures_total",
            "Failed probes by reason.",
            labels=PROBE_LABELS + ["reason"],
        )
        runs = CounterMetricFamily("saas_probe_runs", "Probes run.", labels=PROBE_LABELS)
        skipped = CounterMetricFamily(
            "saas_probe_skipped",
            "Scheduled probes skipped because the vendor's Retry-After had not passed.",
            labels=PROBE_LABELS,
        )
        latency = HistogramMetricFamily(
            "saas_probe_latency_seconds", "Probe durations.", labels=PROBE_LABELS
        )
        for state in states:
            labels = list(state.target.key)
            interval.add_metric(labels, state.target.interval_seconds)
            runs.add_metric(labels, state.runs)
            skipped.add_metric(labels, state.skipped)
            for reason in FAILURE_REASONS:
                failures.add_metric(labels + [reason], state.failures.get(reason, 0))
            cumulative, buckets = 0, []
            for bound, count in zip(LATENCY_BUCKETS, state.bucket_counts, strict=False):
                cumulative += count
                buckets.append((_fmt_le(bound), cumulative))
            buckets.append(("+Inf", cumulative + state.bucket_counts[-1]))
            latency.add_metric(labels, buckets, state.latency_sum)
            if state.last_success_at is not None:
                last_success.add_metric(labels, state.last_success_at)
            result = state.last
            if result is None:
                continue
            success.add_metric(labels, 1 if result.success else 0)
            duration.add_metric(labels, result.duration_seconds)
            status.add_metric(labels, result.http_status)
            last_run.add_metric(labels, result.finished_at)
            for reason in FAILURE_REASONS:
                failing.add_metric(labels + [reason], 1 if result.failure_reason == reason else 0)
        yield from (success, duration, latency, status, failures, failing, runs, skipped)
        yield from (last_success, last_run, interval)

    def _ratelimit_families(self, states: list[TargetState]) -> Iterator[Metric]:
        limit = GaugeMetricFamily(
            "saas_ratelimit_limit",
            "Requests allowed per window (window length in seconds), from response headers.",
            labels=PROBE_LABELS + ["window"],
        )
        remaining = GaugeMetricFamily(
            "saas_ratelimit_remaining",
            "Requests left in the current window, from response headers; 0 after a 429.",
            labels=PROBE_LABELS,
        )
        reset = GaugeMetricFamily(
            "saas_ratelimit_reset_seconds",
            "Seconds until the rate-limit window resets.",
            labels=PROBE_LABELS,
        )
        retry_after = GaugeMetricFamily(
            "saas_retry_after_seconds",
            "Retry-After of the latest response, 0 when none.",
            labels=PROBE_LABELS,
        )
        invalid = CounterMetricFamily(
            "saas_ratelimit_header_invalid",
            "Rate-limit headers that could not be parsed, by header name.",
            labels=PROBE_LABELS + ["header"],
        )
        for state in states:
            labels = list(state.target.key)
            for header, count in sorted(state.invalid_headers.items()):
                invalid.add_metric(labels + [header], count)
            if state.target.probe == "statuspage":
                continue
            if state.last is not None:
                retry_after.add_metric(labels, state.last.retry_after_seconds or 0.0)
            info = state.ratelimit
            if info is None:
                continue
            for window, value in sorted(info.limits.items()):
                limit.add_metric(labels + [window], value)
            if info.remaining is not None:
                remaining.add_metric(labels, info.remaining)
            if info.reset_seconds is not None:
                reset.add_metric(labels, info.reset_seconds)
        yield from (limit, remaining, reset, retry_after, invalid)

    def _identity_families(self, states: list[TargetState]) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "saas_account_info",
            "The account the key answered for (latest known).",
            labels=["vendor", "account", "account_id", "test_account"],
        )
        for state in states:
            identity = state.identity
            if (
                identity is None
                or state.target.probe != state.target.vendor.kind_spec.identity_probe
            ):
                continue
            test = (
                "unknown" if identity.test_account is None else str(identity.test_account).lower()
            )
            info.add_metric(
                [state.target.key[0], state.target.key[1], identity.account_id, test], 1
            )
        yield info

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
