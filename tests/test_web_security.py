"""--web.config.file against a real exporter process: TLS, client certificates and basic
auth checked with an HTTPS client; certificates made by the tests (tests/pki.py)."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import bcrypt
import httpx
import pytest
import yaml
from saas_tools.stack.processes import free_port

from tests.pki import CA, Pair

PASSWORD = "s3cret"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = CA(directory, "ca")
    stranger = CA(directory, "stranger-ca")
    return {
        "dir": directory,
        "ca": ca.pair.cert,
        "server": ca.server(),
        "prometheus": ca.client("prometheus", "prometheus.example"),
        "other": ca.client("other", "other.example"),
        "stranger": stranger.client("stranger", "prometheus.example"),
    }


def start_exporter(web_config: dict, directory: Path, name: str):
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(web_config))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            "--demo",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.config.file={path}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()  # "demo: exporter on https://..." once it serves
    assert line.startswith(f"demo: exporter on https://127.0.0.1:{port}/metrics"), (
        line + proc.stderr.read()
    )
    return proc, f"https://127.0.0.1:{port}"


def stop(proc) -> None:
    proc.terminate()
    proc.wait(15)


def client(ca: Path, pair: Pair | None = None, max_version=None) -> httpx.Client:
    context = ssl.create_default_context(cafile=ca)
    if pair is not None:
        context.load_cert_chain(pair.cert, pair.key)
    if max_version is not None:
        context.maximum_version = max_version
    return httpx.Client(verify=context, timeout=5)


@pytest.fixture(scope="module")
def basic_auth_exporter(pki):
    proc, url = start_exporter(
        {
            "tls_server_config": {
                # relative to the web config's directory, as in the exporter-toolkit
                "cert_file": "server.crt",
                "key_file": "server.key",
                "client_auth_type": "VerifyClientCertIfGiven",
                "client_ca_file": "ca.crt",
            },
            "basic_auth_users": {"prometheus": HASH},
            "http_server_config": {
                "headers": {"X-Frame-Options": "deny", "X-Content-Type-Options": "nosniff"}
            },
        },
        pki["dir"],
        "basic-auth",
    )
    yield url
    stop(proc)


def test_basic_auth_over_tls(pki, basic_auth_exporter):
    url = basic_auth_exporter
    with client(pki["ca"]) as https:
        anonymous = https.get(f"{url}/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Basic"
        assert anonymous.headers["x-frame-options"] == "deny"
        assert https.get(f"{url}/metrics", auth=("prometheus", "wrong")).status_code == 401
        assert https.get(f"{url}/metrics", auth=("nobody", PASSWORD)).status_code == 401
        assert https.get(f"{url}/health").status_code == 401
        ok = https.get(f"{url}/metrics", auth=("prometheus", PASSWORD))
        assert ok.status_code == 200
        assert ok.headers["x-content-type-options"] == "nosniff"
        assert 'saas_exporter_build_info{build_date="' in ok.text
        # The kubelet and a Docker HEALTHCHECK reach these without credentials.
        healthy = https.get(f"{url}/-/healthy")
        assert (healthy.status_code, healthy.text) == (200, "OK\n")
        assert https.get(f"{url}/-/ready").status_code in (200, 503)


def test_plain_http_and_unknown_client_certificates_are_refused(pki, basic_auth_exporter):
    url = basic_auth_exporter
    with pytest.raises(httpx.TransportError):
        httpx.get(url.replace("https:", "http:") + "/-/healthy", timeout=5)
    with client(pki["ca"], pki["stranger"]) as https, pytest.raises(httpx.TransportError):
        https.get(f"{url}/-/healthy")
    with client(pki["ca"], pki["prometheus"]) as https:
        response = https.get(f"{url}/metrics", auth=("prometheus", PASSWORD))
        assert response.status_code == 200


def test_required_client_certificates_allowed_sans_and_min_version(pki):
    proc, url = start_exporter(
        {
            "tls_server_config": {
                "cert_file": str(pki["server"].cert),
                "key_file": str(pki["server"].key),
                "client_auth_type": "RequireAndVerifyClientCert",
                "client_ca_file": str(pki["ca"]),
                "client_allowed_sans": ["prometheus.example"],
                "min_version": "TLS13",
            }
        },
        pki["dir"],
        "client-certs",
    )
    try:
        with client(pki["ca"], pki["prometheus"]) as https:
            response = https.get(f"{url}/metrics")
            assert response.status_code == 200
            assert "saas_exporter_build_info" in response.text
        refused = [
            client(pki["ca"]),  # no certificate
            client(pki["ca"], pki["other"]),  # from the CA, but a SAN not allowed
            client(pki["ca"], pki["stranger"]),  # allowed SAN, unknown CA
            client(pki["ca"], pki["prometheus"], max_version=ssl.TLSVersion.TLSv1_2),
        ]
        for https in refused:
            with https, pytest.raises(httpx.TransportError):
                https.get(f"{url}/-/healthy")
    finally:
        stop(proc)
