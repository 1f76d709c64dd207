"""The incremental /metrics renderer writes what generate_latest writes for the same
samples, and formats a target again only when its state changed (when the store
records it, not at scrape time)."""

import gzip

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families

from saas_exporter.demo import demo_config
from saas_exporter.exposition import IncrementalExposition
from saas_exporter.probes import targets_for
from saas_exporter.probes.result import (
    AccountIdentity,
    Component,
    Incident,
    ProbeResult,
    StatusPageSnapshot,
)
from saas_exporter.ratelimit_headers import RateLimitInfo
from saas_exporter.state import ResultStore
from saas_exporter.web import metrics as metrics_page
from saas_exporter.web.metrics import MetricsRenderer

T0 = 1_800_000_000.0


def families(text: bytes) -> dict[str, bytes]:
    """Family name -> its HELP, TYPE and sample lines (the page's family order aside)."""
    out: dict[str, list[bytes]] = {}
    name = ""
    for line in text.splitlines(keepends=True):
        if line.startswith(b"# HELP "):
            name = line.split(b" ", 3)[2].decode()
        out.setdefault(name, []).append(line)
    return {k: b"".join(v) for k, v in out.items()}


def populated():
    config = demo_config("http://sim.test")
    store = ResultStore(targets_for(config))
    page = StatusPageSnapshot(
        "major",
        "Partial outage",
        components=(Component('API "v2"', "Core\\Group", "major_outage"),),
        incidents=(Incident("i1", 'Errors on "API"\nretrying', "major", "identified", "u"),),
    )
    store.record(("klaviyo", "", "statuspage"), ProbeResult(True, 0.2, T0, 200, statuspage=page))
    store.record(
        ("klaviyo", "main", "profiles"),
        ProbeResult(
            True, 0.3, T0, 200, ratelimit=RateLimitInfo({"1": 75.0, "60": 700.0}, 74.0, 0.5)
        ),
    )
    store.record(
        ("clay", "main", "api"),
        ProbeResult(False, 1.5, T0, 402, "credits_exhausted", "402: out of credits"),
    )
    store.record(
        ("acme", "main", "api"),
        ProbeResult(True, 0.1, T0, 200, account=AccountIdentity("DEMO03", None)),
    )
    return config, store


class Parsed:
    def __init__(self, metrics):
        self.metrics = list(metrics)

    def collect(self):
        return self.metrics


def library_text(rendered: bytes) -> bytes:
    """What prometheus_client writes for the samples parsed back from our text."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Parsed(text_string_to_metric_families(rendered.decode())))
    return generate_latest(registry)


def test_same_text_as_generate_latest():
    config, store = populated()
    rendered = IncrementalExposition(config, store).render()
    expected = library_text(rendered)
    assert families(rendered) == families(expected)
    assert sorted(rendered.splitlines()) == sorted(expected.splitlines())
    assert b'name="Errors on \\"API\\"\\nretrying"' in rendered


def test_only_changed_targets_are_formatted_again():
    config, store = populated()
    exposition = IncrementalExposition(config, store)
    first = exposition.render()
    assert exposition.rendered_targets == len(store.states()) == 7
    assert exposition.render() == first
    assert exposition.rendered_targets == 7
    store.record(("clay", "main", "api"), ProbeResult(True, 0.2, T0 + 60, 200))
    assert exposition.rendered_targets == 8  # formatted as the store recorded it
    second = exposition.render()
    assert exposition.rendered_targets == 8
    assert b'saas_probe_success{account="main",probe="api",vendor="clay"} 1.0\n' in second
    assert b'saas_probe_success{account="main",probe="api",vendor="clay"} 0.0\n' in first


def test_same_openmetrics_as_the_library():
    from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest

    config, store = populated()
    rendered = IncrementalExposition(config, store).render("openmetrics") + b"# EOF\n"
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Parsed(parse_openmetrics(rendered.decode())))
    expected = openmetrics_latest(registry)
    assert sorted(rendered.splitlines()) == sorted(expected.splitlines())
    assert b"# TYPE saas_probe_runs counter\n" in rendered
    assert b'saas_probe_runs_total{account="main",probe="api",vendor="clay"} 1.0\n' in rendered
    assert rendered.endswith(b"# EOF\n")


def test_a_gzip_page_compressed_in_slices_is_the_plain_page(monkeypatch):
    """The gzip body is compressed a slice at a time (never the page joined whole): with
    the slice far smaller than the page, it still decompresses to the plain page."""
    config, store = populated()
    renderer = MetricsRenderer(config, store)
    plain = renderer.render()
    monkeypatch.setattr(metrics_page, "SLICE_BYTES", 64)  # many slices, parts split across
    assert len(plain) > 20 * 64
    assert gzip.decompress(renderer.render_gzip()) == plain
    parts = [b"ab", b"c" * 70, b"d", b"e" * 200, b"f"]
    assert [len(s) for s in metrics_page._slices(parts)] == [72, 201, 1]


def test_a_target_rendered_after_each_result_matches_a_fresh_render():
    """Each result (failing, failing differently, recovering) re-renders the target as
    a fresh exposition of the same store would: reused failure lines never go stale."""
    config, store = populated()
    exposition = IncrementalExposition(config, store)
    key = ("clay", "main", "api")
    results = [
        ProbeResult(False, 0.2, T0 + 60, 401, "auth", "401: bad key"),
        ProbeResult(False, 0.2, T0 + 120, 401, "auth", "401: bad key"),
        ProbeResult(True, 0.2, T0 + 180, 200),
        ProbeResult(False, 0.2, T0 + 240, 500, "server_error", "500: oops"),
    ]
    for result in results:
        store.record(key, result)
        assert exposition.render() == IncrementalExposition(config, store).render()
    last = exposition.render()
    labels = 'account="main",probe="api",reason="{}",vendor="clay"'
    assert f"saas_probe_failures_total{{{labels.format('auth')}}} 2.0\n".encode() in last
    assert f"saas_probe_failing{{{labels.format('auth')}}} 0.0\n".encode() in last
    assert f"saas_probe_failing{{{labels.format('server_error')}}} 1.0\n".encode() in last


def test_a_scrape_reads_the_store_outside_the_renderer_lock():
    """Lock order: a probe's thread records into the store (store lock held) and the
    store calls on_change (renderer lock); a scrape must not take the store's lock while
    it holds the renderer's, or the two threads deadlock (scrapes hang, probes stop)."""
    config, store = populated()
    exposition = IncrementalExposition(config, store)
    states = store.states
    held_while_reading = []

    def checked_states():
        held_while_reading.append(exposition._lock.locked())
        return states()

    store.states = checked_states  # type: ignore[method-assign]
    exposition.render()
    exposition.render("openmetrics")
    assert held_while_reading == [False, False]
