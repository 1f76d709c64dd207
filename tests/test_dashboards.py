"""The generated dashboards: SDK round trip, stable uids, thresholds from the table,
per-vendor overrides, panel keys, runbook links, README panel list, drift."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from saas_pack import dashboards, generate, thresholds
from saas_pack.__main__ import main

from tests.conftest import REPO
from tests.test_generate import CLAY, with_vendor, write_table

UIDS = {"saas-incident-overview", "saas-in-app-traffic"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def panels(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [panel for panel in board["panels"] if panel["type"] != "row"]
    by_title = {panel["title"]: panel for panel in found}
    assert len(by_title) == len(found), "panel titles must be unique"
    return by_title


def rendered_boards(document: dict, schema: dict) -> dict[str, dict[str, Any]]:
    table = thresholds.parse(document, schema)
    return {path: json.loads(text) for path, text in dashboards.render(table).items()}


def steps(panel: dict[str, Any]) -> list[tuple[float | None, str]]:
    found = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(step["value"], step["color"]) for step in found]


def ref_steps(panel: dict[str, Any], ref: str) -> list[tuple[float | None, str]]:
    found = override(panel, "byFrameRefID", ref)["thresholds"]["steps"]
    return [(step["value"], step["color"]) for step in found]


def override(panel: dict[str, Any], matcher: str, option: str) -> dict[str, Any]:
    (found,) = [
        o["properties"]
        for o in panel["fieldConfig"]["overrides"]
        if o["matcher"] == {"id": matcher, "options": option}
    ]
    return {prop["id"]: prop["value"] for prop in found}


def test_every_dashboard_loads_back_through_the_sdk_model_unchanged():
    paths = sorted((REPO / "dashboards").glob("*.json"))
    assert [p.name for p in paths] == ["saas-in-app-traffic.json", "saas-incident-overview.json"]
    for path in paths:
        raw = load(path)
        loaded = model.Dashboard.from_json(raw)
        assert json.loads(json.dumps(loaded, cls=JSONEncoder)) == raw
        assert loaded.uid == path.stem


def test_uids_are_the_fixed_set_and_the_overview_is_the_table_s(document, schema):
    boards = rendered_boards(document, schema)
    assert {board["uid"] for board in boards.values()} == UIDS
    assert document["settings"]["dashboard_uid"] in UIDS
    assert set(boards) == {f"dashboards/{uid}.json" for uid in UIDS}


def test_panel_ids_are_unique_and_every_panel_has_a_description(document, schema):
    for board in rendered_boards(document, schema).values():
        ids = [panel["id"] for panel in board["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        for panel in board["panels"]:
            assert panel["type"] == "row" or panel["description"], panel["title"]


def test_thresholds_shown_are_the_table_s(document, schema):
    boards = rendered_boards(document, schema)
    overview = panels(boards["dashboards/saas-incident-overview.json"])
    assert steps(overview["Probe latency"]) == [(None, "green"), (5, "orange")]
    assert steps(overview["Probe P95 latency"]) == [(None, "green"), (5, "orange")]
    assert ref_steps(overview["Rate-limit headroom"], "A") == [(None, "yellow"), (10, "green")]
    assert steps(overview["Rate-limit remaining per window, Retry-After"]) == [
        (None, "yellow"),
        (10, "green"),
    ]
    # Integer counts: "> 0" starts at 1.
    assert steps(overview["App: auth errors (401/403)"]) == [(None, "green"), (1, "red")]
    assert steps(overview["App: 5xx, timeouts, connection errors"]) == [
        (None, "green"),
        (10, "red"),
    ]
    assert steps(overview["App: throttled (429)"]) == [(None, "green"), (5, "orange")]
    monitoring = overview["Monitoring health"]
    assert ref_steps(monitoring, "A") == [(None, "green"), (0, "blue"), (1, "green")]
    assert ref_steps(monitoring, "B") == [(None, "green"), (3, "blue")]
    # In-app series that disappeared: any is a gap.
    assert ref_steps(monitoring, "D") == [(None, "green"), (1, "blue")]


def test_a_threshold_changed_in_the_table_changes_the_panels(document, schema):
    for row in document["alerts"]:
        if row["alert"] == "SaasProbeHighLatency":
            row["threshold"] = 7.5
            row["test"]["buckets"] = [5, 7.5, 10]
        if row["alert"] == "SaasRateLimitHeadroomLow":
            row["threshold"] = 25
    overview = panels(rendered_boards(document, schema)["dashboards/saas-incident-overview.json"])
    assert steps(overview["Probe latency"]) == [(None, "green"), (7.5, "orange")]
    assert ref_steps(overview["Rate-limit headroom"], "A") == [(None, "yellow"), (25, "green")]
    assert (
        "seconds (P95) > 7.5 (SaasProbeHighLatency, P2)" in overview["Probe latency"]["description"]
    )


def test_a_vendor_override_is_visible_on_its_series_and_in_the_text(document, schema):
    with_vendor(document, CLAY)
    overview = panels(rendered_boards(document, schema)["dashboards/saas-incident-overview.json"])
    throttled = overview["App: throttled (429)"]
    assert steps(throttled) == [(None, "green"), (5, "orange")]
    clay = override(throttled, "byRegexp", "^clay$")["thresholds"]["steps"]
    assert [(s["value"], s["color"]) for s in clay] == [(None, "green"), (2, "orange")]
    assert "(SaasApiRateLimited, P2; clay: > 2)" in throttled["description"]
    text = overview["Runbooks and thresholds"]["options"]["content"]
    assert (
        "| SaasApiRateLimited | P2 | `api-rate-limited` | klaviyo, other vendors: > 5 for 5m; "
        "clay: > 2 for 10m (throttled requests per minute) | "
        "[klaviyo](https://runbooks.example.com/saas-exporter/klaviyo/SaasApiRateLimited.md) "
        "[clay](https://runbooks.example.com/saas-exporter/clay/SaasApiRateLimited.md) |"
    ) in text.splitlines()
    assert "[Clay](https://status.clay.com)" in text


def test_every_panel_key_of_the_table_has_its_panel_with_runbook_links(document, schema):
    table = thresholds.parse(document, schema)
    (overview, in_app) = dashboards.render_all(table)
    assert in_app.panel_keys == {}
    assert set(overview.panel_keys) == {row["dashboard_panel"] for row in document["alerts"]}
    board = panels(json.loads(dashboards.grafana.encode(overview.built)))
    base = document["settings"]["runbook_base_url"]
    for key, title in overview.panel_keys.items():
        alerts = [row for row in document["alerts"] if row["dashboard_panel"] == key]
        links = board[title]["fieldConfig"]["defaults"]["links"]
        assert [link["title"] for link in links] == [f"Runbook: {r['alert']}" for r in alerts]
        for link, row in zip(links, alerts, strict=True):
            vendor = row.get("static_labels", {}).get("vendor")
            page = f"{vendor}/{row['alert']}.md" if vendor else None
            if page:
                assert link["url"] == f"{base}/{page}"
                assert (REPO / "docs/runbooks" / page).exists()
            else:
                assert link["url"].startswith(f"{base}/$")
                assert link["url"].endswith(f"/{row['alert']}.md")
                # A page exists for every vendor the row applies to (Clay's own alert
                # has no Klaviyo page).
                typed = table.alert(row["alert"])
                vendors = [v.name for v in table.vendors if table.applies(typed, v)]
                assert vendors
                for name in vendors:
                    assert (REPO / "docs/runbooks" / name / f"{row['alert']}.md").exists()


def test_dashboard_links_go_to_runbooks_status_pages_and_each_other(document, schema):
    with_vendor(document, CLAY)
    boards = rendered_boards(document, schema)
    overview = boards["dashboards/saas-incident-overview.json"]
    assert [(link["title"], link["url"]) for link in overview["links"]] == [
        ("Runbooks", "https://runbooks.example.com/saas-exporter/README.md"),
        ("Klaviyo status page", "https://status.klaviyo.com"),
        ("Clay status page", "https://status.clay.com"),
        ("In-app traffic", "https://grafana.example.com/d/saas-in-app-traffic/saas-in-app-traffic"),
    ]
    in_app = boards["dashboards/saas-in-app-traffic.json"]
    assert [(link["title"], link["url"]) for link in in_app["links"]] == [
        (
            "Incident overview",
            "https://grafana.example.com/d/saas-incident-overview/saas-incident-overview",
        )
    ]


def test_variables_are_datasource_vendor_and_account(document, schema):
    boards = rendered_boards(document, schema)
    overview = boards["dashboards/saas-incident-overview.json"]["templating"]["list"]
    assert [(v["name"], v["type"], v.get("allValue")) for v in overview] == [
        ("datasource", "datasource", None),
        ("vendor", "query", ".+"),
        ("account", "query", ".*"),
    ]
    assert overview[2]["query"]["query"] == (
        'label_values(saas_probe_success{vendor=~"$vendor", account!=""}, account)'
    )


def test_readme_lists_every_panel_as_generated(document, schema):
    table = thresholds.parse(document, schema)
    readme = (REPO / "README.md").read_text()
    block = dashboards.readme_block(table)
    assert dashboards.README_BEGIN + block + dashboards.README_END in readme
    listed = [
        line.split(" | ")[0].removeprefix("| ")
        for line in block.splitlines()
        if line.startswith("| ") and line not in ("| panel | type | shows |", "|---|---|---|")
    ]
    on_disk = [
        title
        for uid in ("saas-incident-overview", "saas-in-app-traffic")
        for title in panels(load(REPO / f"dashboards/{uid}.json"))
    ]
    assert listed == on_disk
    assert len(listed) == 31


def test_splicing_needs_the_markers_once(document, schema):
    table = thresholds.parse(document, schema)
    with pytest.raises(ValueError, match="exactly once"):
        dashboards.splice_readme("# no markers\n", table)


def test_check_fails_on_a_hand_edited_dashboard_or_readme_block(pack_root, capsys):
    shutil.copy(REPO / "README.md", pack_root / "README.md")
    assert main(["generate", "--root", str(pack_root)]) == 0
    assert main(["check", "--root", str(pack_root)]) == 0
    path = pack_root / "dashboards/saas-incident-overview.json"
    path.write_text(path.read_text().replace('"value": 5', '"value": 6', 1))
    readme = pack_root / "README.md"
    readme.write_text(readme.read_text().replace("| API up | stat |", "| API up (old) | stat |"))
    assert main(["check", "--root", str(pack_root)]) == 1
    out = capsys.readouterr().out
    assert "--- dashboards/saas-incident-overview.json (on disk)" in out
    assert '-                "value": 6\n+                "value": 5\n' in out
    assert "--- README.md (on disk)" in out
    assert main(["generate", "--root", str(pack_root)]) == 0
    assert main(["check", "--root", str(pack_root)]) == 0


def test_a_stale_dashboard_file_is_reported_and_removed(pack_root, capsys):
    assert main(["generate", "--root", str(pack_root)]) == 0
    (pack_root / "dashboards/old-board.json").write_text("{}\n")
    assert main(["check", "--root", str(pack_root)]) == 1
    assert "--- dashboards/old-board.json (on disk)" in capsys.readouterr().out
    main(["generate", "--root", str(pack_root)])
    assert not (pack_root / "dashboards/old-board.json").exists()
    assert generate.drift(pack_root, generate.render(thresholds.load(pack_root))) == ""


def test_clay_table_renders_valid_dashboards(pack_root, document, schema):
    with_vendor(document, CLAY)
    write_table(pack_root, document)
    assert main(["generate", "--root", str(pack_root)]) == 0
    for path in (pack_root / "dashboards").glob("*.json"):
        model.Dashboard.from_json(load(path))
