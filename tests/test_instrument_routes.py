"""Path -> route template: the vendor tables, the generic rule, the cap."""

from __future__ import annotations

import pytest
from saas_inapp.instrument.klaviyo_routes import KLAVIYO_ROUTES
from saas_inapp.instrument.routes import (
    OTHER_ENDPOINT,
    EndpointTemplater,
    RouteTable,
    generic_template,
)
from saas_inapp.instrument.vendors import CLAY_ROUTES, vendor_for_host

KLAVIYO = RouteTable(KLAVIYO_ROUTES)
CLAY = RouteTable(CLAY_ROUTES)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/profiles/01GDDKASAP8TKDDA2GRZDSVP4H", "/api/profiles/{id}"),
        ("/api/profiles/", "/api/profiles"),
        ("/api/lists/Y6nRLr/relationships/profiles/", "/api/lists/{id}/relationships/profiles"),
        # A 6-letter lower-case id would pass the generic word test; the table knows better.
        ("/api/lists/abcdef/profiles", "/api/lists/{id}/profiles"),
        (
            "/api/profile-bulk-import-jobs/ZXhhbXBsZQ/profiles",
            "/api/profile-bulk-import-jobs/{id}/profiles",
        ),
        ("/api/accounts", "/api/accounts"),
    ],
)
def test_klaviyo_table(path, template):
    assert KLAVIYO.match(path) == template


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/public/v0/me", "/public/v0/me"),
        ("/public/v0/routines/run/R1/results", "/public/v0/routines/run/{id}/results"),
        ("/public/v0/routines/function:t_0tk3d4qnbeQmcGWPukV/run", "/public/v0/routines/{id}/run"),
        ("/public/v0/search/query-mode/srch_123/run", "/public/v0/search/query-mode/{id}/run"),
    ],
)
def test_clay_table(path, template):
    assert CLAY.match(path) == template


def test_a_path_outside_the_table_does_not_match():
    assert KLAVIYO.match("/api/not-an-endpoint/x1") is None


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/orders/12345/items", "/v1/orders/{id}/items"),
        ("/v2.1/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/v2.1/users/{id}"),
        ("/v1/customers/jane@example.com", "/v1/customers/{id}"),
        ("/v1/payment_intents/pi_3MtwBwLkdIwHu7ix", "/v1/payment_intents/{id}"),
        ("/public/v0/tables/tbl_0t3x9/rows", "/public/v0/tables/{id}/rows"),
        ("/v1/Things", "/v1/{id}"),
        ("/", "/"),
        ("//v1//orders//", "/v1/orders"),
        ("/v1/" + "a" * 41, "/v1/{id}"),
    ],
)
def test_generic_rule_keeps_words_and_versions_only(path, template):
    assert generic_template(path) == template


def test_templater_caps_distinct_templates_but_keeps_known_ones():
    templater = EndpointTemplater(RouteTable(), max_endpoints=2)
    assert templater.template("/a") == "/a"
    assert templater.template("/b") == "/b"
    assert templater.template("/c") == OTHER_ENDPOINT
    assert templater.template("/a") == "/a"


def test_templater_rejects_a_zero_cap():
    with pytest.raises(ValueError, match=r"^max_endpoints must be at least 1, got 0$"):
        EndpointTemplater(RouteTable(), max_endpoints=0)


@pytest.mark.parametrize(
    ("host", "vendor"),
    [
        ("a.klaviyo.com", "klaviyo"),
        ("A.Klaviyo.com.", "klaviyo"),
        ("api.clay.com", "clay"),
        ("api.example.com", "api.example.com"),
    ],
)
def test_vendor_for_host(host, vendor):
    assert vendor_for_host(host) == vendor
