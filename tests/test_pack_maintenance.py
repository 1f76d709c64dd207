"""The rule pack's side of maintenance silences: which alerts carry silenceable_by, and
the table check that keeps a rejected key, a wrong account and gaps out of them."""

from __future__ import annotations

import pytest
import yaml
from saas_pack import thresholds

from saas_exporter.silences.model import SILENCEABLE_LABEL, SILENCEABLE_VALUE
from tests.conftest import REPO

NEVER_SILENCED = (
    "SaasApiAuthErrors",
    "SaasProbeAuthFailing",
    "SaasAccountMismatch",
    "SaasExporterDown",
    "SaasProbesStale",
    "SaasInAppMetricsAbsent",
    "SaasStatusPageUnreachable",
)


def rendered_rules() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path in sorted((REPO / "rules").glob("*.rules.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found.setdefault(rule["alert"], []).append(rule)
    return found


def test_silenceable_alerts_carry_the_label_the_sync_matches(document, schema):
    table = thresholds.parse(document, schema)
    rules = rendered_rules()
    marked = {row.name for row in table.alerts if row.silenced_by_maintenance}
    assert marked == {
        "SaasApiServerErrors",
        "SaasApiRateLimited",
        "SaasApiHighLatency",
        "SaasProbeUnreachable",
        "SaasProbeRateLimited",
        "SaasProbeHighLatency",
        "SaasVendorComponentDegraded",
        "SaasVendorWideFailure",
        "SaasWebhookQuiet",
        "SaasWebhookDelayed",
    }
    for name, instances in rules.items():
        labels = [rule["labels"].get(SILENCEABLE_LABEL) for rule in instances]
        assert labels == [SILENCEABLE_VALUE if name in marked else None] * len(instances), name
    assert not marked & set(NEVER_SILENCED)


def _mark(document, alert):
    row = next(r for r in document["alerts"] if r["alert"] == alert)
    row["silenced_by_maintenance"] = True


@pytest.mark.parametrize(
    ("alert", "problem"),
    [
        (
            "SaasProbeAuthFailing",
            "alerts[{i}] (SaasProbeAuthFailing) field silenced_by_maintenance: its runbook "
            "'auth' answers a rejected key or a wrong account, which pages during a "
            "maintenance too",
        ),
        (
            "SaasProbesStale",
            "alerts[{i}] (SaasProbesStale) field silenced_by_maintenance: its cause is always "
            "'infrastructure', never vendor, so no maintenance silence matches it",
        ),
    ],
)
def test_the_table_refuses_a_silenceable_key_or_gap_alert(document, schema, alert, problem):
    _mark(document, alert)
    index = next(i for i, row in enumerate(document["alerts"]) if row["alert"] == alert)
    with pytest.raises(thresholds.ThresholdsError) as caught:
        thresholds.parse(document, schema)
    assert problem.replace("{i}", str(index)) in str(caught.value).splitlines()
