"""Clay in the rule pack: its vendor entry matches the exporter's kind, its own alert
(SaasCreditsExhausted, P2), its overrides, and runbooks from the Clay seed."""

import yaml
from saas_pack import holds, thresholds

from saas_exporter.catalog import CATALOG
from tests.conftest import REPO
from tests.test_thresholds import error_of

CLAY = CATALOG.kinds["clay"]


def rules_named(alert):
    doc = yaml.safe_load((REPO / "rules/saas-probes.rules.yaml").read_text())
    return [r for g in doc["groups"] for r in g["rules"] if r.get("alert") == alert]


def test_clay_entry_takes_its_probes_and_page_from_its_kind():
    table = thresholds.load(REPO)
    clay = table.vendor("clay")
    assert clay.kind == "clay"
    assert clay.probes == (*CLAY.account_probes, "statuspage") == ("api", "statuspage")
    assert (clay.display_name, clay.status_page_url) == ("Clay", "https://status.clay.com")


def test_credits_exhausted_alert_is_p2_on_its_reason():
    [rule] = rules_named("SaasCreditsExhausted")
    assert rule["labels"] == {"priority": "P2", "severity": "critical", "cause": "integration"}
    assert rule["for"] == "0m"
    assert rule["expr"] == (
        'max by (vendor, account, probe) (saas_probe_failing{vendor!="", '
        'reason="credits_exhausted"}) > 0\n'
    )


def test_clay_overrides_render_as_their_own_rules():
    # Clay's 2-minute api probe runs the default 5 minutes (three failed probes): one rule
    # (holding in its expression: its cause can change while it waits).
    unreachable = rules_named("SaasProbeUnreachable")
    assert [(holds.wait_seconds(r), r["labels"].get("vendor")) for r in unreachable] == [
        (300, None)
    ]
    # A disabled alert is an override too: the default rule excludes Clay.
    latency = rules_named("SaasProbeHighLatency")
    assert len(latency) == 1 and 'vendor!~"clay"' in latency[0]["expr"]


def test_clay_runbooks_come_from_the_clay_seed():
    pages = REPO / "docs/runbooks/clay"
    auth = (pages / "SaasProbeAuthFailing.md").read_text()
    clay_steps = CATALOG.action_steps("auth", "clay")
    assert "a key belongs to one workspace" in clay_steps[0]
    assert "\n".join(f"{n}. {step}" for n, step in enumerate(clay_steps, 1)) in auth
    assert "pk_" not in auth  # Klaviyo's key shape is not Clay's
    assert "enable request queuing" in (pages / "SaasProbeRateLimited.md").read_text().lower()
    assert "graceful degradation" in (pages / "SaasProbeUnreachable.md").read_text()
    assert "### 402, credits exhausted" in (pages / "SaasCreditsExhausted.md").read_text()
    assert "Use mobile data or a VPN" in (pages / "SaasProbesStale.md").read_text()
    # Disabled for Clay (no revision header; a 5-minute probe is too rare for a P95).
    for alert in ("SaasApiRevisionRetiring", "SaasApiRevisionDeprecated", "SaasProbeHighLatency"):
        assert not (pages / f"{alert}.md").exists()
    # Klaviyo keeps the table's generic steps.
    assert (
        "starts with `pk_`" in (REPO / "docs/runbooks/klaviyo/SaasProbeAuthFailing.md").read_text()
    )


def test_generated_promtool_tests_cover_the_clay_alert():
    doc = yaml.safe_load((REPO / "promtool-tests/generated-saas-probes.yaml").read_text())
    fired = [
        alert["exp_labels"]
        for case in doc["tests"]
        for check in case["alert_rule_test"]
        if check["alertname"] == "SaasCreditsExhausted"
        for alert in check["exp_alerts"]
    ]
    assert {(a["vendor"], a["probe"]) for a in fired} == {("clay", "api")}


def test_a_vendor_of_a_kind_the_catalog_lacks_is_refused(document, schema):
    clay = next(i for i, v in enumerate(document["vendors"]) if v["name"] == "clay")
    document["vendors"][clay]["kind"] = "clayy"
    assert error_of(document, schema) == (
        "invalid threshold table:\n"
        f"vendors[{clay}] (clay) field kind: expected one of ['clay', 'generic', 'klaviyo'], "
        "got 'clayy'"
    )


def test_requirements_come_from_each_vendor_s_kind(document, schema):
    table = thresholds.parse(document, schema)
    clay, klaviyo = table.vendor("clay"), table.vendor("klaviyo")

    def probes(alert):
        row = table.alert(alert)
        return {v.name: table.probes_for(row, v) for v in (klaviyo, clay)}

    # The headroom probe: Klaviyo's other account probe, Clay's only one.
    assert probes("SaasRateLimitHeadroomLow") == {"klaviyo": ("profiles",), "clay": ("api",)}
    # Probes that can fail with the row's reason.
    assert probes("SaasAccountMismatch") == {"klaviyo": ("accounts",), "clay": ("api",)}
    assert probes("SaasCreditsExhausted") == {"klaviyo": (), "clay": ("api",)}
    assert not table.applies(table.alert("SaasCreditsExhausted"), klaviyo)
    # Only Klaviyo's profiles probe runs often enough for a percentile.
    assert probes("SaasProbeHighLatency") == {"klaviyo": ("profiles",), "clay": ()}
