"""A real exporter on a custom --web.telemetry-path: gzip when the scraper accepts it,
OpenMetrics when it asks (as Prometheus does), both clean for their checkers."""

from __future__ import annotations

import gzip
import subprocess
import sys

import httpx
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from saas_tools.stack.processes import free_port

# What Prometheus 2.x and 3.x send.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


@pytest.fixture(scope="module")
def exporter():
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            "--demo",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.telemetry-path=/probe/metrics",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith(f"demo: exporter on http://127.0.0.1:{port}/probe/metrics"), line
    url = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{url}/-/ready", timeout=5).status_code in (200, 503)
    yield url
    proc.terminate()
    proc.wait(15)


def raw_get(url: str, **headers: str) -> tuple[httpx.Headers, bytes]:
    """Headers and body as they went over the wire (not decompressed)."""
    with httpx.Client(timeout=5) as client:
        request = client.build_request("GET", url, headers=headers)
        response = client.send(request, stream=True)
        body = b"".join(response.iter_raw())
        response.close()
        return response.headers, body


def test_the_telemetry_path_moves_metrics(exporter):
    assert httpx.get(f"{exporter}/metrics", timeout=5).status_code == 404
    landing = httpx.get(exporter, timeout=5).text
    assert '<a href="probe/metrics">/probe/metrics</a>' in landing


def test_text_format_is_clean_for_promtool(exporter):
    headers, body = raw_get(f"{exporter}/probe/metrics", **{"Accept-Encoding": "identity"})
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "content-encoding" not in headers
    assert b'saas_exporter_build_info{build_date="' in body
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert (check.returncode, check.stdout, check.stderr) == (0, b"", b"")


def test_gzip_when_accepted(exporter):
    headers, body = raw_get(f"{exporter}/probe/metrics", **{"Accept-Encoding": "gzip, deflate"})
    assert headers["content-encoding"] == "gzip"
    text = gzip.decompress(body)
    assert len(body) < len(text) / 4
    assert b"# TYPE saas_probe_success gauge\n" in text
    assert b"process_resident_memory_bytes " in text  # the live part follows the cached one


def test_openmetrics_when_asked(exporter):
    headers, body = raw_get(
        f"{exporter}/probe/metrics", Accept=PROMETHEUS_ACCEPT, **{"Accept-Encoding": "gzip"}
    )
    assert headers["content-type"] == (
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
    )
    text = gzip.decompress(body).decode()
    assert text.endswith("\n# EOF\n") and text.count("# EOF") == 1
    assert "# TYPE saas_probe_runs counter\n" in text
    # The library's strict OpenMetrics parser (promtool check metrics reads only the
    # Prometheus text format) accepts the whole page.
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["saas_probe_runs"].type == "counter"
    assert families["saas_probe_latency_seconds"].type == "histogram"
    assert families["saas_exporter_build_info"].samples[0].labels["version"]
