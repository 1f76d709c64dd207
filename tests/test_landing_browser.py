"""The landing page in a real headless browser (Debian's chromium) on the demo, with
Klaviyo's key revoked: what the page's DOM says after rendering, and a screenshot
that is a real picture of it."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from saas_tools.stack.processes import free_port

from saas_exporter.demo.stack import Demo, DemoSpec
from saas_exporter.web.landing import project_urls

WIDTH, HEIGHT = 1280, 800
# Launched as root in a container: no sandbox; nothing fetched from outside.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},{HEIGHT}",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed (make test installs it)")
    return found


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    spec = DemoSpec(
        exporter=("127.0.0.1", free_port()),
        simulator=("127.0.0.1", 0),
        app=("127.0.0.1", 0),
        intervals={"accounts": "10m", "profiles": "10m", "api": "10m", "statuspage": "10m"},
        app_interval=None,
    )
    with Demo(spec) as running:
        assert running.exporter.store.wait_all_probed(30)
        running.simulator.set_scenario("klaviyo", "auth_failure")
        running.exporter.probe_all_now()
        yield running


def browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )


def visible_text(dom: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_rendered_page_shows_each_vendor_and_account(chromium, demo, tmp_path):
    result = browse(chromium, tmp_path / "profile", "--dump-dom", f"{demo.exporter_url}/")
    assert result.returncode == 0, result.stderr
    text = visible_text(result.stdout)
    assert "saas-exporter" in text and "3 vendors, 3 accounts" in text
    assert "klaviyo main down DEMO01 (last confirmed" in text
    assert "clay main healthy DEMO02" in text
    assert "acme main healthy DEMO03" in text
    assert "401: Incorrect authentication credentials." in text
    # minor_incident on Clay's and Acme's pages; auth_failure leaves Klaviyo's green.
    assert "klaviyo none All Systems Operational 0" in text
    assert re.search(r"clay minor \w.* 1 ", text), text
    links = dict(
        (label, href) for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', result.stdout)
    )
    assert links["simulator: scenarios"] == f"{demo.simulator.base_url}/-/scenario"
    assert links["/metrics"] == "metrics" and links["/health"] == "health"
    assert links["docs"] == project_urls()["Documentation"]


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the decompressed scanlines) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, size = 8, b"", (0, 0)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks += body
        offset += 12 + length
    return size[0], size[1], zlib.decompress(chunks)


def test_the_screenshot_is_a_picture_of_the_page(chromium, demo, tmp_path):
    shot = tmp_path / "landing.png"
    result = browse(chromium, tmp_path / "profile", f"--screenshot={shot}", f"{demo.exporter_url}/")
    assert result.returncode == 0, result.stderr
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    # Text, badges and table lines: many distinct colours, not one blank colour.
    assert len(set(pixels)) > 50
