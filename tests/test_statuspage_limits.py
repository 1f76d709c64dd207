"""Status pages as hostile input: odd ids, too many components or incidents, huge names."""

from __future__ import annotations

from saas_exporter.config import ResponseLimits
from saas_exporter.probes.atlassian import parse_atlassian_summary
from saas_exporter.probes.result import ProbeResult
from saas_exporter.probes.rootly import parse_rootly_status
from tests.test_collector import PAGE, samples, setup, value

SMALL = ResponseLimits(max_components=3, max_incidents=2, max_label_length=16)


def summary(components=(), incidents=()):
    return {
        "status": {"indicator": "minor", "description": "Minor"},
        "components": list(components),
        "incidents": list(incidents),
    }


def component(i, **extra):
    return {"id": f"c{i}", "name": f"Component {i}", "status": "operational", **extra}


def incident(i):
    return {"id": f"i{i}", "name": f"Incident {i}", "status": "investigating", "impact": "minor"}


def test_unhashable_group_and_component_ids_are_read_not_a_crash():
    page = parse_atlassian_summary(
        summary(
            [
                {"id": [], "name": "Group", "group": True},
                component(1, group_id=[]),
                component(2, group_id={"x": 1}),
                {"id": {}, "name": "Component 1", "status": "operational"},
            ]
        )
    )
    assert [(c.name, c.group) for c in page.components] == [
        ("Component 1", ""),
        ("Component 2", ""),
        ("Component 1 (3)", ""),
    ]


def test_components_and_incidents_past_the_limits_are_dropped_and_counted():
    page = parse_atlassian_summary(
        summary([component(i) for i in range(10)], [incident(i) for i in range(5)]), SMALL
    )
    assert [c.name for c in page.components] == ["Component 0", "Component 1", "Component 2"]
    assert [i.id for i in page.incidents] == ["i0", "i1"]
    assert (page.dropped_components, page.dropped_incidents) == (7, 3)


def test_rootly_page_has_the_same_limits():
    body = summary([component(i) for i in range(5)], [incident(i) for i in range(4)])
    page = parse_rootly_status(body, SMALL)
    assert (len(page.components), page.dropped_components) == (3, 2)
    assert (len(page.incidents), page.dropped_incidents) == (2, 2)


def test_long_or_odd_names_become_clean_cut_label_values():
    page = parse_atlassian_summary(
        summary(
            [{"id": 1, "name": "API\n\x00" + "x" * 100, "status": "operational"}],
            [{"id": "i" * 100, "name": "\ud800 down", "status": "identified", "impact": "x"}],
        ),
        SMALL,
    )
    assert page.components[0].name == "API  xxxxxxxxxx…"
    assert (page.incidents[0].id, page.incidents[0].name) == ("i" * 15 + "…", "  down")
    assert page.incidents[0].impact == "none"


def test_two_components_equal_after_the_cut_keep_one_series():
    long = "y" * 40
    page = parse_atlassian_summary(
        summary(
            [
                {"id": "a", "name": long + "1", "status": "operational"},
                {"id": "b", "name": long + "2", "status": "major_outage"},
            ]
        ),
        SMALL,
    )
    assert [c.status for c in page.components] == ["operational", "major_outage"]
    assert len({c.name for c in page.components}) == 2


def test_dropped_items_are_counted_in_a_metric():
    store, registry = setup()
    page = parse_atlassian_summary(
        summary([component(i) for i in range(5)], [incident(i) for i in range(4)]), SMALL
    )
    for _ in range(2):
        store.record(PAGE, ProbeResult(True, 0.1, 1.0, 200, statuspage=page))
    found = samples(registry)
    total = "saas_statuspage_items_dropped_total"
    assert value(found, total, vendor="klaviyo", item="component") == 4
    assert value(found, total, vendor="klaviyo", item="incident") == 4
