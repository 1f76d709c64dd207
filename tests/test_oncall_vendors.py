"""The on-call commands on a Klaviyo + Clay + generic config (the simulator's three
vendors): each vendor gets its own kind's advice, and every status page is read at its
own format's paths (Clay's Rootly page too), so nothing answers 404.

Postmortem reads its ALERTS from a fake Prometheus (pytest-httpserver) here: the alert
history of two vendors at once is the input, the draft is what is tested."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import pytest
import yaml
from werkzeug import Request, Response

from saas_exporter.demo import demo_config_data, demo_env
from saas_exporter.oncall import bundle, postmortem, preflight, triage
from saas_exporter.oncall.history import Span
from saas_exporter.oncall.postmortem_report import draft
from tests.oncall_support import run_command

DEAD = "http://127.0.0.1:9"  # nothing listens on the loopback discard port
# Probes run once per command, never on their own.
LONG = {"accounts": "10m", "profiles": "10m", "api": "10m", "statuspage": "10m"}

KLAVIYO_AUTH = [
    "Check that the key the integration reads from its secret store is the current private "
    "key (it starts with `pk_`), not the 6-character public site id.",
    "In Klaviyo (Settings > API keys), check whether the key was revoked, rotated or had "
    "scopes removed; a 403 `permission_denied` names the missing scope. The probes need "
    "`accounts:read` and `profiles:read`.",
    "Rotate in one go: put the new key in the secret store, reload or restart everything "
    "that reads it, then confirm that `saas_probe_success` returns to 1.",
    "If the key is valid and status.klaviyo.com shows an incident, Klaviyo's auth service is "
    "failing: follow the vendor branch.",
    "klaviyo/main reads its key from environment variable SAAS_EXPORTER_DEMO_KLAVIYO_KEY",
]
CLAY_AUTH = [
    "Verify the Clay API key in the secret store (the value sent in the `clay-api-key` "
    "header); a key belongs to one workspace.",
    "If the key was rotated, update the secret, then reload or restart what reads it, and "
    'confirm that `saas_probe_success{vendor="clay"}` returns to 1 at the next probe.',
    "If the key is valid and status.clay.com shows an incident, Clay's side is failing: "
    "follow the vendor branch.",
    "clay/main reads its key from environment variable SAAS_EXPORTER_DEMO_CLAY_KEY",
]
GENERIC_AUTH = [
    "Check that the key the integration reads from its secret store is the current one, not "
    "a key of another environment.",
    "In the vendor's dashboard, check whether the key was revoked, rotated or had "
    "permissions removed.",
    "Rotate in one go: put the new key in the secret store, reload or restart everything "
    "that reads it, then confirm that `saas_probe_success` returns to 1.",
    "If the key is valid and the status page shows an incident, the vendor's auth service is "
    "failing: follow the vendor branch.",
    "acme/main reads its key from environment variable SAAS_EXPORTER_DEMO_ACME_KEY",
]
CLAY_SERVER_ERROR = [
    "Enable graceful degradation (queue enrichment work, serve cached results) instead of "
    "retrying in a tight loop.",
    "Monitor Clay's status page (status.clay.com, a Rootly page) and "
    '`saas_statuspage_indicator{vendor="clay"}`.',
    "If Clay shows no incident, check our credentials and config (the decision tree's "
    "integration branch); if our service is unhealthy without API errors, investigate our "
    "infrastructure.",
]


def write_three_vendors(directory: Path, simulator_url: str, clay_format: str | None) -> Path:
    data = demo_config_data(simulator_url, LONG)
    if clay_format:
        data["vendors"][1]["statuspage_format"] = clay_format
    path = directory / "saas-exporter.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def config(tmp_path, simulator, monkeypatch):
    for name, value in demo_env().items():
        monkeypatch.setenv(name, value)
    return write_three_vendors(tmp_path, simulator.base_url, "rootly")


def triage_json(config: Path) -> tuple[int, dict]:
    code, out, _ = run_command(triage.run, ["--config.file", str(config), "--output", "json"])
    return code, json.loads(out)["vendors"]


def test_triage_gives_each_vendor_its_own_auth_advice(config, simulator):
    simulator.set_scenario_everywhere("auth_failure")
    code, vendors = triage_json(config)
    assert code == 1
    advice = {name: report["actions"] for name, report in vendors.items()}
    assert advice == {
        "klaviyo": [{"title": "401/403, authentication", "steps": KLAVIYO_AUTH}],
        "clay": [{"title": "401/403, authentication", "steps": CLAY_AUTH}],
        "acme": [{"title": "401/403, authentication", "steps": GENERIC_AUTH}],
    }
    for name in ("clay", "acme"):
        text = json.dumps(vendors[name])
        assert "accounts:read" not in text and "profiles:read" not in text, name


def test_triage_reads_clays_rootly_page(config, simulator):
    simulator.set_scenario_everywhere("vendor_incident")
    code, vendors = triage_json(config)
    assert code == 4
    clay = vendors["clay"]
    assert (clay["branch"], clay["cause"]) == ("vendor_incident", "vendor")
    assert clay["evidence"]["statuspage"]["incidents"] == [
        {
            "name": "Clay API returning errors",
            "impact": "major",
            "status": "identified",
            "url": f"{simulator.base_url}/status/clay/incidents/sim-clay-api",
        }
    ]
    assert [a["title"] for a in clay["actions"]] == ["500/503, vendor errors", "Vendor incident"]
    assert clay["actions"][0]["steps"] == CLAY_SERVER_ERROR
    assert [a["title"] for a in vendors["klaviyo"]["actions"]] == [
        "500/503, vendor errors",
        "Vendor incident",
    ]
    assert vendors["klaviyo"]["actions"][0]["steps"][0] == (
        "Check the vendor's status page and `saas_statuspage_indicator`; status pages often "
        "lag real failures by several minutes."
    )


def test_preflight_checks_each_kind_its_own_way(config):
    code, out, _ = run_command(preflight.run, ["--config.file", str(config), "--output", "json"])
    assert code == 0
    checks = {
        (c["vendor"], c["check"]): c["detail"]
        for c in json.loads(out)["checks"]
        if c["check"] in ("status page", "scopes", "rate-limit headroom")
    }
    assert checks == {
        ("klaviyo", "status page"): "none: All Systems Operational",
        ("klaviyo", "scopes"): "granted: accounts:read, profiles:read",
        ("klaviyo", "rate-limit headroom"): "74 of 75 left in the per-second window",
        ("clay", "status page"): "none: All systems operational",
        ("clay", "scopes"): "no scopes documented for Clay; api allowed",
        ("clay", "rate-limit headroom"): "599 of 600 left",
        ("acme", "status page"): "none: All Systems Operational",
        ("acme", "scopes"): "no scopes documented for Generic vendor; api allowed",
        ("acme", "rate-limit headroom"): "119 of 120 left",
    }


@pytest.mark.parametrize("clay_format", ["rootly", None])  # None: detected (auto)
def test_bundle_reads_every_page_at_its_formats_paths(
    tmp_path, simulator, monkeypatch, clay_format
):
    for name, value in demo_env().items():
        monkeypatch.setenv(name, value)
    config = write_three_vendors(tmp_path, simulator.base_url, clay_format)
    simulator.set_scenario_everywhere("vendor_incident")
    target = tmp_path / "b.tar.gz"
    argv = ["--prometheus-url", DEAD, "--config.file", str(config), "--out", str(target)]
    code, out, err = run_command(bundle.run, [*argv, "--output", "json"])
    assert code == 3  # no Prometheus: partial
    pages = [i for i in json.loads(out)["items"] if i["source"].startswith("GET http")]
    status = f"{simulator.base_url}/status"
    assert pages == [
        {"file": f"statuspage/{vendor}/{name}", "source": f"GET {url}", "ok": True, "error": ""}
        for vendor, name, url in [
            ("acme", "summary.json", f"{status}/acme/api/v2/summary.json"),
            ("acme", "incidents.json", f"{status}/acme/api/v2/incidents.json"),
            ("clay", "status.json", f"{status}/clay/api/v1/status.json"),
            ("clay", "incidents.json", f"{status}/clay/api/v1/incidents.json"),
            ("klaviyo", "summary.json", f"{status}/klaviyo/api/v2/summary.json"),
            ("klaviyo", "incidents.json", f"{status}/klaviyo/api/v2/incidents.json"),
        ]
    ]
    # No page was asked for at another format's path (the simulator's port may hold "404").
    assert "404" not in (out + err).replace(simulator.base_url, "")
    with tarfile.open(target) as tar:
        (member,) = [m for m in tar.getmembers() if m.name.endswith("statuspage/clay/status.json")]
        page = json.loads(tar.extractfile(member).read())
    assert [i["name"] for i in page["incidents"] if not i["resolved_at"]] == [
        "Clay API returning errors"
    ]


def _alert(vendor: str, alertname: str, probe: str, reason: str, priority: str, cause: str):
    return {
        "__name__": "ALERTS",
        "alertname": alertname,
        "alertstate": "firing",
        "vendor": vendor,
        "account": "main",
        "probe": probe,
        "reason": reason,
        "priority": priority,
        "cause": cause,
    }


class FakePrometheus:
    """Answers the postmortem's queries: these alerts firing over [start, end] each, no
    status-page incident series, nothing active now (every alert resolved)."""

    def __init__(self, alerts: list[tuple[dict[str, str], float, float]]):
        self.alerts = alerts

    def __call__(self, request: Request) -> Response:
        query = request.args["query"]
        if request.path.endswith("/query_range"):
            result = [
                {
                    "metric": labels,
                    "values": [[t, "1"] for t in range(int(start), int(end) + 1)],
                }
                for labels, start, end in self.alerts
                if "ALERTS" in query
            ]
            data = {"resultType": "matrix", "result": result}
        else:
            data = {"resultType": "vector", "result": []}
        return Response(
            json.dumps({"status": "success", "data": data}), content_type="application/json"
        )


def test_postmortem_of_two_vendors(config, simulator, httpserver):
    simulator.set_scenario_everywhere("vendor_incident")
    now = time.time()
    start = int(now) - 300
    httpserver.expect_request("/api/v1/query").respond_with_handler(FakePrometheus([]))
    httpserver.expect_request("/api/v1/query_range").respond_with_handler(
        FakePrometheus(
            [
                (
                    _alert(
                        "klaviyo",
                        "SaasProbeUnreachable",
                        "accounts",
                        "server_error",
                        "P1",
                        "vendor",
                    ),
                    start,
                    start + 60,
                ),
                (
                    _alert(
                        "clay",
                        "SaasCreditsExhausted",
                        "api",
                        "credits_exhausted",
                        "P2",
                        "integration",
                    ),
                    start + 10,
                    start + 90,
                ),
            ]
        )
    )
    argv = ["--prometheus-url", httpserver.url_for("/"), "--config.file", str(config)]
    code, out, err = run_command(postmortem.run, [*argv, "--since", "10m"], clock=lambda: now)
    assert (code, err) == (0, "")  # every status page read: no 404
    lines = out.splitlines()
    assert lines[0] == (
        "## Incident: Klaviyo API unreachable (5xx, timeouts); Clay credits exhausted (402)"
    )
    assert lines[9] == (
        "Vendor-side (cause=vendor): the vendor's status page showed an incident while the "
        "alert fired."
    )
    timeline = [
        line.split(" - ", 1)[1] for line in lines if line.startswith("- ") and " - " in line
    ]
    assert (
        "clay status page update: 'Clay API returning errors' identified: We are looking into: "
        "Clay API returning errors."
    ) in timeline
    assert (
        "klaviyo status page update: 'Elevated error rates on the Klaviyo API' identified: "
        "We are investigating: elevated error rates on the klaviyo api."
    ) in timeline
    code, out, _ = run_command(
        postmortem.run, [*argv, "--since", "10m", "--output", "json"], clock=lambda: now
    )
    assert json.loads(out)["vendors"] == [
        {"vendor": "klaviyo", "error_type": "API unreachable (5xx, timeouts)"},
        {"vendor": "clay", "error_type": "credits exhausted (402)"},
    ]


def test_a_title_groups_vendors_with_the_same_error_type():
    labels = {"alertname": "SaasProbeUnreachable", "alertstate": "firing", "priority": "P1"}
    spans = [
        Span({**labels, "vendor": "clay"}, 100.0, 200.0),
        Span({**labels, "vendor": "klaviyo"}, 50.0, 150.0),
        Span({**labels, "vendor": "acme", "priority": "P2"}, 10.0, 20.0),
    ]
    document = draft(spans, [], (0.0, 300.0), 1.0, "prometheus")
    assert document is not None
    # Most urgent first: P1 before P2, then the first to fire.
    assert document.title == "Incident: Klaviyo, Clay and Acme API unreachable (5xx, timeouts)"
    assert [a.vendor for a in document.affected] == ["klaviyo", "clay", "acme"]


def test_a_status_page_answering_an_empty_list_is_no_page_not_a_crash():
    # postmortem used to end with an AttributeError when a page answered [].
    import httpx

    from saas_exporter.oncall.vendor_pages import StatusPage, incident_updates, read_page

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    with httpx.Client(transport=transport) as client:
        for page_format in ("atlassian", "rootly", "auto"):
            documents = read_page(client, StatusPage("acme", "http://status.test", page_format))
            assert incident_updates(documents) == []
            assert documents.summary is None or not documents.summary.ok
