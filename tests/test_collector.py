"""The exposition rendered from known results, parsed back, with exact values."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from saas_exporter.buildinfo import build_info
from saas_exporter.collector import SaasCollector
from saas_exporter.probes import FAILURE_REASONS, targets_for
from saas_exporter.probes.result import (
    AccountIdentity,
    Component,
    Incident,
    ProbeResult,
    StatusPageSnapshot,
)
from saas_exporter.ratelimit_headers import RateLimitInfo
from saas_exporter.state import ResultStore
from tests.conftest import klaviyo_config

T0 = 1_800_000_000.0
ACC = ("klaviyo", "main", "accounts")
PROF = ("klaviyo", "main", "profiles")
PAGE = ("klaviyo", "", "statuspage")


def setup(expected="WBhXHN"):
    config = klaviyo_config(
        "http://vendor.test", "http://status.test", account={"expected_account_id": expected}
    )
    store = ResultStore(targets_for(config))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SaasCollector(config, store))
    return store, registry


def samples(registry):
    text = generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found, metric, **labels):
    return found[(metric, tuple(sorted(labels.items())))]


def probe_labels(key):
    return {"vendor": key[0], "account": key[1], "probe": key[2]}


def test_before_any_probe_only_counters_and_static_info_exist():
    _store, registry = setup()
    found = samples(registry)
    for reason in FAILURE_REASONS:
        assert value(found, "saas_probe_failures_total", reason=reason, **probe_labels(ACC)) == 0
    assert not any(name == "saas_probe_success" for name, _ in found)
    assert value(found, "saas_api_revision_info", vendor="klaviyo", revision="2026-07-15") == 1
    assert (
        value(found, "saas_api_revision_retirement_timestamp_seconds", vendor="klaviyo")
        == 1847232000
    )
    assert (
        value(found, "saas_api_revision_deprecation_timestamp_seconds", vendor="klaviyo")
        == 1815609600
    )  # 2027-07-15T00:00:00Z
    assert (
        value(
            found,
            "saas_account_expected_info",
            vendor="klaviyo",
            account="main",
            expected_account_id="WBhXHN",
        )
        == 1
    )
    built = build_info()
    build_labels = {"version": "0.1.0", "revision": built.revision, "build_date": built.build_date}
    assert value(found, "saas_exporter_build_info", **build_labels) == 1
    assert value(found, "saas_exporter_config_info", vendors="1", accounts="1") == 1
    assert value(found, "saas_probe_interval_seconds", **probe_labels(PROF)) == 30


def test_success_then_throttle_exposition():
    store, registry = setup()
    store.record(
        ACC,
        ProbeResult(
            True,
            0.2,
            T0,
            200,
            account=AccountIdentity("WBhXHN", True),
            ratelimit=RateLimitInfo({"1": 1, "60": 15}, 0, 0),
        ),
    )
    store.record(
        PROF, ProbeResult(True, 6.0, T0, 200, ratelimit=RateLimitInfo({"1": 75, "60": 750}, 72, 1))
    )
    store.record(
        PROF,
        ProbeResult(
            False,
            0.05,
            T0 + 30,
            429,
            failure_reason="throttled",
            error="429: Request was throttled.",
            retry_after_seconds=12,
        ),
    )
    found = samples(registry)
    prof = probe_labels(PROF)
    assert value(found, "saas_probe_success", **prof) == 0
    assert value(found, "saas_probe_http_status_code", **prof) == 429
    assert value(found, "saas_probe_duration_seconds", **prof) == 0.05
    assert value(found, "saas_probe_failures_total", reason="throttled", **prof) == 1
    assert value(found, "saas_probe_failures_total", reason="auth", **prof) == 0
    assert value(found, "saas_probe_failing", reason="throttled", **prof) == 1
    assert value(found, "saas_probe_failing", reason="server_error", **prof) == 0
    assert value(found, "saas_probe_runs_total", **prof) == 2
    assert value(found, "saas_probe_last_success_timestamp_seconds", **prof) == T0
    assert value(found, "saas_probe_last_run_timestamp_seconds", **prof) == T0 + 30
    # Histogram: one at 6 s (le 7.5), one at 0.05 s (le 0.05).
    assert value(found, "saas_probe_latency_seconds_bucket", le="0.05", **prof) == 1
    assert value(found, "saas_probe_latency_seconds_bucket", le="5.0", **prof) == 1
    assert value(found, "saas_probe_latency_seconds_bucket", le="7.5", **prof) == 2
    assert value(found, "saas_probe_latency_seconds_bucket", le="+Inf", **prof) == 2
    assert value(found, "saas_probe_latency_seconds_count", **prof) == 2
    assert value(found, "saas_probe_latency_seconds_sum", **prof) == 6.05
    # A 429 carries no rate-limit headers: limits are kept, remaining is spent.
    assert value(found, "saas_ratelimit_limit", window="1", **prof) == 75
    assert value(found, "saas_ratelimit_limit", window="60", **prof) == 750
    assert value(found, "saas_ratelimit_remaining", **prof) == 0
    assert value(found, "saas_ratelimit_reset_seconds", **prof) == 12
    assert value(found, "saas_retry_after_seconds", **prof) == 12
    acc = probe_labels(ACC)
    assert value(found, "saas_probe_success", **acc) == 1
    assert value(found, "saas_retry_after_seconds", **acc) == 0
    assert value(found, "saas_ratelimit_limit", window="60", **acc) == 15
    assert (
        value(
            found,
            "saas_account_info",
            vendor="klaviyo",
            account="main",
            account_id="WBhXHN",
            test_account="true",
        )
        == 1
    )


def test_failure_then_recovery_clears_failing():
    store, registry = setup()
    store.record(ACC, ProbeResult(False, 0.1, T0, 401, failure_reason="auth", error="401: x"))
    store.record(
        ACC, ProbeResult(True, 0.1, T0 + 600, 200, account=AccountIdentity("WBhXHN", False))
    )
    found = samples(registry)
    acc = probe_labels(ACC)
    assert value(found, "saas_probe_failures_total", reason="auth", **acc) == 1
    assert all(value(found, "saas_probe_failing", reason=r, **acc) == 0 for r in FAILURE_REASONS)
    assert value(found, "saas_probe_success", **acc) == 1


def test_statuspage_series_every_state():
    store, registry = setup()
    page = StatusPageSnapshot(
        indicator="major",
        description="Partial System Outage",
        components=(
            Component("Klaviyo API", "", "major_outage"),
            Component("Flow Email Sending", "Email Sending", "operational"),
        ),
        incidents=(Incident("abc", "API errors", "major", "identified", "https://stspg.io/abc"),),
        active_maintenances=1,
    )
    store.record(PAGE, ProbeResult(True, 0.3, T0, 200, statuspage=page))
    found = samples(registry)
    indicators = {
        s: value(found, "saas_statuspage_indicator", vendor="klaviyo", indicator=s)
        for s in ("none", "minor", "major", "critical", "maintenance")
    }
    assert indicators == {"none": 0, "minor": 0, "major": 1, "critical": 0, "maintenance": 0}
    api = {
        s: value(
            found,
            "saas_statuspage_component_status",
            vendor="klaviyo",
            component="Klaviyo API",
            group="",
            status=s,
        )
        for s in (
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance",
        )
    }
    assert api == {
        "operational": 0,
        "degraded_performance": 0,
        "partial_outage": 0,
        "major_outage": 1,
        "under_maintenance": 0,
    }
    assert (
        value(
            found,
            "saas_statuspage_component_status",
            vendor="klaviyo",
            component="Flow Email Sending",
            group="Email Sending",
            status="operational",
        )
        == 1
    )
    assert value(found, "saas_statuspage_incidents", vendor="klaviyo", impact="major") == 1
    assert value(found, "saas_statuspage_incidents", vendor="klaviyo", impact="minor") == 0
    assert (
        value(
            found,
            "saas_statuspage_incident_info",
            vendor="klaviyo",
            id="abc",
            name="API errors",
            impact="major",
            status="identified",
            url="https://stspg.io/abc",
        )
        == 1
    )
    assert value(found, "saas_statuspage_active_maintenances", vendor="klaviyo") == 1
    # The status page probe's own series carry account="".
    assert value(found, "saas_probe_success", vendor="klaviyo", account="", probe="statuspage") == 1


def test_statuspage_keeps_last_good_page_when_unreachable():
    store, registry = setup()
    store.record(
        PAGE, ProbeResult(True, 0.3, T0, 200, statuspage=StatusPageSnapshot("minor", "Minor", ()))
    )
    store.record(PAGE, ProbeResult(False, 0.3, T0 + 60, 503, failure_reason="server_error"))
    found = samples(registry)
    assert value(found, "saas_statuspage_indicator", vendor="klaviyo", indicator="minor") == 1
    assert value(found, "saas_probe_success", vendor="klaviyo", account="", probe="statuspage") == 0


def test_invalid_headers_counted_by_name():
    store, registry = setup()
    store.record(PROF, ProbeResult(True, 0.1, T0, 200, invalid_headers=("ratelimit-limit",)))
    store.record(
        PROF, ProbeResult(True, 0.1, T0, 200, invalid_headers=("ratelimit-limit", "retry-after"))
    )
    found = samples(registry)
    prof = probe_labels(PROF)
    assert (
        value(found, "saas_ratelimit_header_invalid_total", header="ratelimit-limit", **prof) == 2
    )
    assert value(found, "saas_ratelimit_header_invalid_total", header="retry-after", **prof) == 1


def api_components(config):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SaasCollector(config, ResultStore(targets_for(config))))
    return sorted(
        (labels["vendor"], labels["component"], v)
        for (name, labels_t), v in samples(registry).items()
        if name == "saas_statuspage_api_component_info"
        for labels in [dict(labels_t)]
    )


def test_the_api_components_come_from_the_catalog_or_the_config():
    # Before any probe: the config says which components are the API, not the page.
    assert api_components(klaviyo_config("http://vendor.test", "http://status.test")) == [
        ("klaviyo", "Klaviyo API", 1.0)
    ]
    override = {"statuspage_api_components": ["Public API", "Webhooks"]}
    assert api_components(
        klaviyo_config("http://vendor.test", "http://status.test", vendor=override)
    ) == [("klaviyo", "Public API", 1.0), ("klaviyo", "Webhooks", 1.0)]
    # No status page, no component to read.
    assert api_components(klaviyo_config("http://vendor.test", None)) == []


def test_a_revision_the_calendar_lacks_never_breaks_a_scrape():
    # The config check refuses 2026-02-30; a scrape must not fail on it either way.
    from dataclasses import replace

    store, _ = setup()
    config = klaviyo_config("http://vendor.test", "http://status.test")
    config = replace(config, vendors=(replace(config.vendors[0], revision="2026-02-30"),))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SaasCollector(config, store))
    found = samples(registry)
    assert value(found, "saas_api_revision_info", vendor="klaviyo", revision="2026-02-30") == 1
    assert not any(name.startswith("saas_api_revision_retirement") for name, _ in found)
