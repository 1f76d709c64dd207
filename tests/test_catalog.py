"""The catalog of vendor facts: consistent, complete, and the one source the code reads."""

import copy
from importlib import resources

import pytest
import yaml

from saas_exporter.catalog import CATALOG, CatalogError, parse_catalog
from saas_exporter.probes import PROBERS
from saas_exporter.probes.result import FAILURE_REASONS


def raw_catalog():
    text = resources.files("saas_exporter.catalog").joinpath("vendors.yaml").read_text()
    return yaml.safe_load(text)


def test_every_probe_protocol_has_a_prober():
    protocols = {spec.protocol for kind in CATALOG.kinds.values() for spec in kind.probes.values()}
    assert protocols == set(PROBERS)


def test_failure_reasons_are_the_catalogs():
    assert tuple(CATALOG.failure_reasons) == FAILURE_REASONS
    assert "client_error" in FAILURE_REASONS


def test_klaviyo_probes_and_limits():
    klaviyo = CATALOG.kinds["klaviyo"]
    assert klaviyo.account_probes == ("accounts", "profiles")
    assert klaviyo.identity_probe == "accounts"
    accounts = klaviyo.probes["accounts"]
    assert (accounts.request, accounts.scope, accounts.steady_limit_per_minute) == (
        "GET /api/accounts/",
        "accounts:read",
        15.0,
    )
    assert accounts.interval_seconds == 600.0
    assert klaviyo.probes["statuspage"].per_account is False


def test_clay_402_and_its_own_actions():
    clay = CATALOG.kinds["clay"]
    assert clay.status_reasons == {402: "credits_exhausted"}
    assert "credits_exhausted" in clay.reasons
    assert "credits_exhausted" not in CATALOG.kinds["klaviyo"].reasons
    auth = CATALOG.action_steps("auth", "clay")
    assert auth[0].startswith("Verify the Clay API key")
    assert not any("accounts:read" in step for step in auth)
    # A kind without its own steps gets the default ones.
    assert CATALOG.action_steps("auth", "generic") == CATALOG.actions["auth"].steps


def test_every_reason_has_an_action():
    answered = {r for action in CATALOG.actions.values() for r in action.reasons}
    assert answered == set(CATALOG.failure_reasons)


def test_which_status_page_components_are_the_api():
    assert CATALOG.kinds["klaviyo"].statuspage_api_components == ("Klaviyo API",)
    # A Rootly page lists no components; a generic vendor's are named in its config.
    assert CATALOG.kinds["clay"].statuspage_api_components == ()
    assert CATALOG.kinds["generic"].statuspage_api_components == ()


def test_status_page_paths_per_format():
    assert CATALOG.statuspage_formats["atlassian"].summary == "/api/v2/summary.json"
    assert CATALOG.statuspage_formats["rootly"].summary == "/api/v1/status.json"
    assert CATALOG.statuspage_formats["rootly"].incidents == "/api/v1/incidents.json"


def test_triage_branches_map_to_causes():
    assert CATALOG.triage_branches["network"].cause == "infrastructure"
    assert CATALOG.triage_branches["vendor_incident"].exit_code == 4
    assert CATALOG.triage_branches["vendor_incident"].action == "vendor_incident"
    assert CATALOG.triage_branches["infrastructure"].action == "monitoring_gap"
    assert CATALOG.triage_branches["integration"].action is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["kinds"]["clay"]["probes"]["api"]["reasons"].append("bogus"),
            "kinds.clay.probes.api: unknown ['bogus']",
        ),
        (
            lambda c: c["kinds"]["klaviyo"].__setitem__("identity_probe", "nope"),
            "kinds.klaviyo.identity_probe: 'nope' is no probe",
        ),
        (
            lambda c: c["kinds"]["clay"]["actions"].__setitem__("nope", ["x"]),
            "kinds.clay.actions.nope: no such action",
        ),
        (
            lambda c: c["actions"]["auth"].__setitem__("branch", "aliens"),
            "actions.auth.branch: no such cause 'aliens'",
        ),
        (
            lambda c: c["kinds"]["clay"].__setitem__("key_shape", "rot13"),
            "kinds.clay.key_shape: unknown key shape 'rot13'",
        ),
        (
            lambda c: c["triage_branches"]["monitor"].__setitem__("action", "nope"),
            "triage_branches.monitor.action: no such action",
        ),
        (lambda c: c.pop("causes"), "malformed catalog: KeyError: 'causes'"),
        (
            lambda c: c["kinds"]["klaviyo"].__setitem__("statuspage_api_components", "Klaviyo API"),
            "kinds.klaviyo.statuspage_api_components: expected a list of names",
        ),
    ],
)
def test_an_inconsistent_catalog_is_refused(edit, message):
    data = copy.deepcopy(raw_catalog())
    edit(data)
    with pytest.raises(CatalogError) as err:
        parse_catalog(data)
    assert message in str(err.value)
