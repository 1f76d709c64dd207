"""The HTTP server holds under idle connections: no thread per connection, a cap that
evicts the oldest idle connection, and a read-header deadline (figures: bench/server_load.py)."""

import socket
import threading

import httpx
import pytest

from saas_exporter.demo import demo_config
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.web.options import WebOptions
from saas_exporter.web.server import ConnectionLimits

LONG = {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"}


def start(simulator, limits=None):
    runtime = ExporterRuntime(
        demo_config(simulator.base_url, LONG),
        ("127.0.0.1", 0),
        web=WebOptions(limits=limits or ConnectionLimits()),
    )
    runtime.start()
    assert runtime.store.wait_all_probed(10)
    return runtime


def connect(runtime, count):
    host, port = runtime.address.rsplit(":", 1)
    return [socket.create_connection((host, int(port))) for _ in range(count)]


def closed_by_server(sock) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_scrape_is_answered_while_2000_connections_sit_idle(simulator):
    runtime = start(simulator)
    idle = connect(runtime, 2000)
    try:
        threads_before = set(threading.enumerate())
        response = httpx.get(f"http://{runtime.address}/metrics", timeout=5)
        assert response.status_code == 200
        assert (
            'saas_probe_success{account="main",probe="accounts",vendor="klaviyo"} 1.0'
            in response.text
        )
        # Idle connections cost no thread (the old server had one each).
        assert len(set(threading.enumerate()) - threads_before) < 10
    finally:
        for sock in idle:
            sock.close()
        runtime.stop()


def test_past_the_cap_the_oldest_idle_connections_make_room(simulator):
    runtime = start(simulator, ConnectionLimits(max_connections=20))
    idle = connect(runtime, 50)
    try:
        response = httpx.get(f"http://{runtime.address}/-/healthy", timeout=5)
        assert (response.status_code, response.text) == (200, "OK\n")
        # 50 idle + the scraper over a cap of 20: the 31 oldest were closed.
        assert [closed_by_server(sock) for sock in idle[:31]] == [True] * 31
    finally:
        for sock in idle:
            sock.close()
        runtime.stop()


def test_a_request_whose_headers_never_finish_is_cut_off(simulator):
    runtime = start(simulator, ConnectionLimits(read_header_timeout=0.3))
    (slow,) = connect(runtime, 1)
    try:
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # no blank line: never ends
        assert closed_by_server(slow)
        assert httpx.get(f"http://{runtime.address}/-/ready", timeout=5).status_code == 200
    finally:
        slow.close()
        runtime.stop()


@pytest.fixture
def running(simulator):
    runtime = start(simulator)
    yield runtime
    runtime.stop()


def test_head_and_methods(running):
    url = f"http://{running.address}"
    head = httpx.head(f"{url}/metrics", timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["content-length"]) > 1000
    post = httpx.post(f"{url}/metrics", timeout=5)
    assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")
    reload = httpx.post(f"{url}/-/reload", timeout=5)
    assert (reload.status_code, reload.text) == (403, "Lifecycle API is not enabled.\n")


def test_every_connection_has_tcp_nodelay(running):
    # Without it, Nagle and delayed ACKs add ~40 ms to every keep-alive scrape.
    (sock,) = connect(running, 1)
    try:
        sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        server_side = [
            conn.transport.get_extra_info("socket")
            for conn in running.http.server.server_state.connections
        ]
        assert server_side
        assert {s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in server_side} == {1}
    finally:
        sock.close()
