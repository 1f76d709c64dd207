"""No silent failure mode: every failure reason of the catalog is read by an alert with a
priority. saas_pack.promtool_coverage renders a promtool world per reason
(promtool-tests/generated-reasons.yaml, run by `make rules-check`); here: that every
catalog reason has one, and that a reason no alert reads fails them, named."""

from __future__ import annotations

import dataclasses

from saas_pack import promtool_coverage, rules, thresholds, yamlio

from saas_exporter.catalog import CATALOG
from tests.test_generate import promtool


def run_coverage(pack_root, table):
    """The rule files and the coverage worlds of `table`, run by promtool."""
    files = {**rules.rule_files(table), **promtool_coverage.render(table)}
    for path, content in files.items():
        (pack_root / path).parent.mkdir(parents=True, exist_ok=True)
        (pack_root / path).write_text(yamlio.dump(content, ""))
    return promtool("test", "rules", "generated-reasons.yaml", cwd=pack_root / "promtool-tests")


def test_every_reason_of_the_catalog_is_exercised(document, schema):
    table = thresholds.parse(document, schema)
    exercised = {reason for _vendor, _probe, reason in promtool_coverage.cases(table)}
    assert exercised == set(CATALOG.failure_reasons)


def test_a_reason_no_alert_reads_fails_and_is_named(pack_root, document, schema):
    table = thresholds.parse(document, schema)
    without = tuple(row for row in table.alerts if row.name != "SaasProbeClientError")
    result = run_coverage(pack_root, dataclasses.replace(table, alerts=without))
    assert result.returncode == 1
    missing = {
        line.split("exp: ")[1]
        for line in result.stderr.splitlines()
        if line.strip().startswith("exp: ")
    }
    assert missing == {
        '{probe="accounts", reason="client_error", vendor="klaviyo"} 1E+00',
        '{probe="profiles", reason="client_error", vendor="klaviyo"} 1E+00',
        '{probe="api", reason="client_error", vendor="clay"} 1E+00',
    }
