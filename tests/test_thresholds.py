"""The threshold table's validation: bad rows give errors naming row, field, expectation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from saas_pack import spec, thresholds
from saas_pack.__main__ import main


def row_index(document: dict[str, Any], alert: str) -> int:
    return next(i for i, row in enumerate(document["alerts"]) if row["alert"] == alert)


def error_of(document: dict[str, Any], schema: dict[str, Any]) -> str:
    with pytest.raises(thresholds.ThresholdsError) as caught:
        thresholds.parse(document, schema)
    return str(caught.value)


def test_the_real_table_is_valid(document, schema):
    table = thresholds.parse(document, schema)
    assert [v.name for v in table.vendors] == ["klaviyo", "clay"]


def test_rows_are_typed_and_immutable(document, schema):
    table = thresholds.parse(document, schema)
    row = table.alert("SaasProbeUnreachable")
    assert isinstance(row, spec.AlertRow)
    assert (row.threshold, row.for_, row.by) == (0, "5m", ("vendor", "account", "probe"))
    assert row.requires_probe == "account"
    assert [(w.cause, w.meaning[:24]) for w in row.cause.when] == [
        ("infrastructure", "most recent probe failur")
    ]
    assert table.alert("SaasExporterDown").static_vendor == "all"
    assert table.settings.kubernetes.name == "saas-exporter-rules"
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.threshold = 1  # type: ignore[misc]


def test_effective_values_apply_a_vendor_s_overrides(document, schema):
    table = thresholds.parse(document, schema)
    clay = table.vendor("clay")
    latency = table.alert("SaasProbeHighLatency")
    assert table.effective(latency, clay) == spec.Effective(5, "15m", False)
    assert table.effective(latency, None) == spec.Effective(5, "15m", True)
    assert not table.applies(latency, clay)
    assert spec.Effective(0, "90s", True).for_minutes == 2


BAD_FIELDS = [
    ("SaasApiRateLimited", "for", "5 minutes",
     "field for: expected a Prometheus duration such as 0m, 90s, 5m, 1h, got '5 minutes'"),
    ("SaasApiAuthErrors", "priority", "P0",
     "field priority: expected one of ['P1', 'P2', 'P3', 'P4'], got 'P0'"),
    ("SaasApiAuthErrors", "summary", "Auth fails for {{ $labels.vendor }}",
     "field summary: expected a static sentence ending with a period, "
     "got 'Auth fails for {{ $labels.vendor }}'"),
    ("SaasApiHighLatency", "threshold", 4,
     "field threshold: a histogram threshold must be a bucket boundary, "
     "expected 5 (test.buckets[1]), got 4"),
]  # fmt: skip


@pytest.mark.parametrize(("alert", "field", "value", "problem"), BAD_FIELDS)
def test_bad_field_names_row_field_and_expectation(document, schema, alert, field, value, problem):
    index = row_index(document, alert)
    document["alerts"][index][field] = value
    assert error_of(document, schema) == (
        f"invalid threshold table:\nalerts[{index}] ({alert}) {problem}"
    )


BAD_TESTS = [
    ("SaasApiRateLimited", "window_minutes",
     "field test.window_minutes: a counter test needs window_minutes"),
    ("SaasApiHighLatency", "buckets", "field test.buckets: a histogram test needs buckets"),
    ("SaasApiRevisionRetiring", "direction",
     "field test.direction: a deadline test needs direction"),
    ("SaasProbesStale", "divisor", "field test.divisor: a timestamp test needs divisor"),
    ("SaasStatusPageUnreachable", "below",
     "field test: a gauge test of op '==' needs below and above"),
]  # fmt: skip


@pytest.mark.parametrize(("alert", "field", "problem"), BAD_TESTS)
def test_a_test_block_without_the_fields_its_kind_reads(document, schema, alert, field, problem):
    index = row_index(document, alert)
    del document["alerts"][index]["test"][field]
    assert error_of(document, schema) == (
        f"invalid threshold table:\nalerts[{index}] ({alert}) {problem}"
    )


def test_a_row_about_the_exporter_needs_a_static_vendor(document, schema):
    index = row_index(document, "SaasExporterDown")
    del document["alerts"][index]["static_labels"]
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasExporterDown) field static_labels: a row without "
        "$vendor_matcher needs a static vendor label (its runbook directory)"
    )


def test_an_unknown_gap_alert_and_group(document, schema):
    index = row_index(document, "SaasApiRateLimited")
    document["alerts"][index]["gap_alert"] = "SaasNoSuchGap"
    document["alerts"][index]["group"] = "saas-nowhere"
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasApiRateLimited) field group: expected one of "
        "['saas-in-app', 'saas-monitoring', 'saas-probes', 'saas-statuspage'], "
        "got 'saas-nowhere'\n"
        f"alerts[{index}] (SaasApiRateLimited) field gap_alert: unknown alert 'SaasNoSuchGap'"
    )


def test_a_table_that_is_not_a_mapping(schema):
    with pytest.raises(thresholds.ThresholdsError, match="expected a mapping at the top level"):
        thresholds.parse(["alerts"], schema)


def test_alert_name_without_prefix_is_rejected(document, schema):
    index = row_index(document, "SaasApiAuthErrors")
    document["alerts"][index]["alert"] = "ApiAuthErrors"
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (ApiAuthErrors) field alert: expected CamelCase with the Saas "
        "prefix, got 'ApiAuthErrors'"
    )


def test_missing_field_is_named(document, schema):
    index = row_index(document, "SaasProbeUnreachable")
    del document["alerts"][index]["threshold"]
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasProbeUnreachable): 'threshold' is a required property"
    )


def test_unknown_runbook_key(document, schema):
    index = row_index(document, "SaasApiAuthErrors")
    document["alerts"][index]["runbook"] = ["auth", "reboot"]
    message = error_of(document, schema)
    assert message.startswith(
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasApiAuthErrors) field runbook: unknown runbook key 'reboot'; "
        "expected one of ['account_mismatch', 'auth', "
    )


def test_override_of_an_unknown_alert(document, schema):
    document["vendors"][0]["overrides"] = {"SaasNoSuchAlert": {"threshold": 3}}
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        "vendors[0] (klaviyo) field overrides: unknown alert 'SaasNoSuchAlert'"
    )


def test_duplicate_alert_name(document, schema):
    document["alerts"].append(dict(document["alerts"][0]))
    last = len(document["alerts"]) - 1
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{last}] (SaasApiAuthErrors): alert name already used by alerts[0]"
    )


def test_every_problem_is_reported_at_once(document, schema):
    document["alerts"][0]["for"] = "soon"
    document["alerts"][1]["priority"] = "urgent"
    assert len(error_of(document, schema).splitlines()) == 3


def test_cli_reports_a_bad_table_and_exits_2(pack_root, capsys):
    path = pack_root / "rules/thresholds.yaml"
    path.write_text(path.read_text().replace("threshold: 10\n", "threshold: ten\n", 1))
    assert main(["check", "--root", str(pack_root)]) == 2
    error = capsys.readouterr().err
    assert error == (
        "rules/thresholds.yaml: invalid threshold table:\n"
        "alerts[1] (SaasApiServerErrors) field threshold: 'ten' is not of type 'number'\n"
    )


def test_a_vendor_wide_row_must_fire_before_the_pages_it_mutes(document, schema):
    index = row_index(document, "SaasVendorWideFailure")
    document["vendors"][1]["overrides"]["SaasVendorWideFailure"] = {"for": "5m"}
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasVendorWideFailure) field for: must be shorter than "
        "SaasProbeUnreachable's for (clay: 300s >= 300s), or its pages go out before the "
        "inhibition"
    )


def test_vendor_wide_references_and_min_accounts(document, schema):
    wide = row_index(document, "SaasVendorWideFailure")
    unreachable = row_index(document, "SaasProbeUnreachable")
    in_app = row_index(document, "SaasApiServerErrors")
    document["alerts"][unreachable]["cause"]["vendor_wide"] = "SaasProbeAuthFailing"
    del document["alerts"][wide]["min_accounts"]
    document["vendors"][0]["overrides"]["SaasProbeRateLimited"] = {"min_accounts": 3}
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{in_app}] (SaasApiServerErrors) field cause.vendor_wide: expected a "
        "vendor-wide row (one with min_accounts), got 'SaasVendorWideFailure'\n"
        f"alerts[{wide}] (SaasVendorWideFailure) field min_accounts: needed exactly when "
        "expr uses $min_accounts\n"
        f"alerts[{unreachable}] (SaasProbeUnreachable) field cause.vendor_wide: expected a "
        "vendor-wide row (one with min_accounts), got 'SaasProbeAuthFailing'\n"
        "vendors[0] (klaviyo) field overrides.SaasProbeRateLimited.min_accounts: "
        "SaasProbeRateLimited has no min_accounts"
    )


def test_one_account_is_never_a_vendor_wide_failure(document, schema):
    index = row_index(document, "SaasVendorWideFailure")
    document["alerts"][index]["min_accounts"] = 1
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasVendorWideFailure) field min_accounts: 1 is less than the "
        "minimum of 2"
    )
