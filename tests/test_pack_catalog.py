"""The rule pack reads vendor facts from the catalog: probe selectors, which vendors a
row applies to, immediate actions and cause texts. A new kind is a catalog entry."""

from __future__ import annotations

import copy
import re
from importlib import resources

import pytest
import yaml
from saas_pack import generate, probe_sets, thresholds

from saas_exporter.catalog import CATALOG, parse_catalog
from tests.conftest import REPO
from tests.test_generate import with_vendor

SHOPIFY = {
    "name": "shopify",
    "kind": "generic",
    "display_name": "Shopify",
    "status_page_url": "https://www.shopifystatus.com",
    "in_app": False,
    "overrides": {},
}


def catalog_data() -> dict:
    text = resources.files("saas_exporter.catalog").joinpath("vendors.yaml").read_text()
    return yaml.safe_load(text)


def rule_exprs(files: dict[str, str], alert: str) -> list[str]:
    doc = yaml.safe_load(files["rules/saas-probes.rules.yaml"])
    return [r["expr"] for g in doc["groups"] for r in g["rules"] if r.get("alert") == alert]


def test_the_table_names_no_probe_and_no_probe_set_of_a_kind():
    text = (REPO / "rules/thresholds.yaml").read_text()
    assert re.findall(r'probe\s*(?:=~|!~|!=|=)\s*"[a-z]', text) == []
    schema = (REPO / "rules/thresholds.schema.json").read_text()
    for probe in CATALOG.probe_names():
        assert f'"{probe}"' not in schema


def test_selectors_are_rendered_from_the_catalog():
    assert probe_sets.placeholders(CATALOG) == {
        "account_probes": 'probe!="statuspage"',
        "identity_probes": 'probe=~"accounts|api"',
        "latency_probes": 'probe=~"profiles"',
        "headroom_probes": 'probe=~"api|profiles"',
        "statuspage_probe": 'probe="statuspage"',
        "key_rejected_reasons": "auth|forbidden|account_mismatch",
        "edge_reasons": "cloudflare_challenge",
        "throttled_reasons": "throttled",
        "billing_reasons": "credits_exhausted",
        "server_side_reasons": "server_error|invalid_response|too_large",
        "unexpected_reasons": "client_error",
        "no_answer_reasons": "timeout|connection|tls",
    }


def test_a_new_kind_s_probes_reach_the_rules(document, schema):
    data = catalog_data()
    kind = copy.deepcopy(data["kinds"]["generic"])
    kind["probes"]["orders"] = {**kind["probes"]["api"], "latency_percentile": True}
    kind["probes"]["orders"]["interval"] = "30s"
    data["kinds"]["shop"] = kind
    data["failure_reasons"]["dns"] = {"class": "no_answer", "meaning": "DNS lookup failed"}
    kind["probes"]["api"]["reasons"].append("dns")
    catalog = parse_catalog(data)
    with_vendor(document, {**SHOPIFY, "kind": "shop"})
    table = thresholds.parse(document, schema, catalog)
    files = generate.render(table)
    [latency] = rule_exprs(files, "SaasProbeHighLatency")
    assert 'probe=~"orders|profiles"' in latency
    [headroom] = rule_exprs(files, "SaasRateLimitHeadroomLow")
    assert 'probe=~"api|orders|profiles"' in headroom
    # A new no-answer reason joins the unreachable alert and its cause rule.
    [unreachable] = rule_exprs(files, "SaasProbeUnreachable")
    reasons = "server_error|invalid_response|too_large|timeout|connection|tls|dns"
    assert f'reason=~"{reasons}"' in unreachable
    assert 'reason=~"timeout|connection|tls|dns"' in unreachable
    assert table.probes_for(table.alert("SaasProbeHighLatency"), table.vendor("shopify")) == (
        "orders",
    )
    assert "docs/runbooks/shopify/SaasProbeHighLatency.md" in files


def test_a_generic_vendor_gets_the_generic_advice_and_only_its_alerts(document, schema):
    with_vendor(document, SHOPIFY)
    files = generate.render(thresholds.parse(document, schema))
    pages = {path for path in files if path.startswith("docs/runbooks/shopify/")}
    # Its api probe runs every 2 minutes (no percentile), has no credits and no revision
    # header... but checks an account id and can be throttled.
    assert "docs/runbooks/shopify/SaasProbeHighLatency.md" not in pages
    assert "docs/runbooks/shopify/SaasCreditsExhausted.md" not in pages
    assert "docs/runbooks/shopify/SaasApiAuthErrors.md" not in pages  # in_app: false
    assert {
        "docs/runbooks/shopify/SaasAccountMismatch.md",
        "docs/runbooks/shopify/SaasProbeRateLimited.md",
        "docs/runbooks/shopify/SaasVendorIncidentMajor.md",
    } <= pages
    auth = files["docs/runbooks/shopify/SaasProbeAuthFailing.md"]
    for number, step in enumerate(CATALOG.actions["auth"].steps, 1):
        assert f"{number}. {step}" in auth
    assert "pk_" not in auth and "clay-api-key" not in auth
    assert "- Vendor status page: https://www.shopifystatus.com" in auth
    integration = CATALOG.causes["integration"]
    assert f'- `cause="integration"` otherwise: {integration.title}. {integration.runbook}' in auth
    # The generated tests drive Shopify's own probe (api): `make rules-check` runs them
    # for the table's vendors, Clay's api included.
    probes = yaml.safe_load(files["promtool-tests/generated-saas-probes.yaml"])
    series = [s["series"] for case in probes["tests"] for s in case["input_series"]]
    assert 'saas_probe_failing{vendor="shopify",account="main",probe="api",reason="auth"}' in series


def test_a_vendor_without_a_status_page_has_no_status_page_alerts(document, schema):
    with_vendor(document, {**SHOPIFY, "status_page_url": None})
    table = thresholds.parse(document, schema)
    shopify = table.vendor("shopify")
    assert shopify.probes == ("api",)
    files = generate.render(table)
    assert "docs/runbooks/shopify/SaasStatusPageUnreachable.md" not in files
    assert "docs/runbooks/shopify/SaasProbeUnreachable.md" in files
    assert "Vendor status page" not in files["docs/runbooks/shopify/SaasProbeUnreachable.md"]
    assert (
        "shopify" not in files["dashboards/saas-incident-overview.json"].split('"links"')[1][:2000]
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("expr", 'max by (vendor) (saas_probe_failing{$vendor_matcher, $acount_probes}) > 0',
         "field expr: unknown placeholder $acount_probes; expected one of ['account_probes', "),
        ("expr", 'max by (vendor) (saas_probe_failing{$vendor_matcher, reason="throttle"})',
         "field expr: unknown failure reason 'throttle' (saas_exporter/catalog/vendors.yaml)"),
        ("requires_probe", "profiles",
         "field requires_probe: expected one of ['account', 'any', 'headroom', 'identity', "
         "'latency', 'statuspage'], got 'profiles'"),
        ("requires_reason", "credits",
         "field requires_reason: unknown failure reason 'credits'"),
        ("cause", {"vendor_incident": True, "default": "them"},
         "field cause.default: expected one of ['infrastructure', 'integration', 'vendor'], "
         "got 'them'"),
    ],
)  # fmt: skip
def test_catalog_names_in_a_row_are_checked(document, schema, field, value, problem):
    index = next(
        i for i, r in enumerate(document["alerts"]) if r["alert"] == "SaasProbeRateLimited"
    )
    document["alerts"][index][field] = value
    with pytest.raises(thresholds.ThresholdsError) as caught:
        thresholds.parse(document, schema)
    assert str(caught.value).startswith(
        f"invalid threshold table:\nalerts[{index}] (SaasProbeRateLimited) {problem}"
    )


def test_a_probe_in_the_test_of_a_row_that_reads_no_probe(document, schema):
    index = next(i for i, r in enumerate(document["alerts"]) if r["alert"] == "SaasApiAuthErrors")
    document["alerts"][index]["test"]["labels"] = {"probe": "$probe"}
    with pytest.raises(thresholds.ThresholdsError) as caught:
        thresholds.parse(document, schema)
    assert str(caught.value) == (
        "invalid threshold table:\n"
        f"alerts[{index}] (SaasApiAuthErrors) field test: $probe needs the row's "
        "requires_probe or requires_reason"
    )
