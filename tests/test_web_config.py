"""--web.config.file parsing: every mistake refused with its path (exit 2, no traceback),
and basic auth that costs one bcrypt run whether or not the user exists."""

from __future__ import annotations

import bcrypt
import pytest
import yaml

from saas_exporter.cli import main
from saas_exporter.web import auth
from saas_exporter.web.auth import BasicAuth
from saas_exporter.web.webconfig import WebConfigError, load_web_config
from tests.pki import CA

HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=5))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = CA(directory, "ca")
    return directory, ca.server(), ca.pair.cert


def problems(tmp_path, data) -> list[str]:
    path = tmp_path / "web.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    with pytest.raises(WebConfigError) as err:
        load_web_config(path)
    return err.value.problems


def test_an_empty_file_means_plain_http_without_auth(tmp_path):
    (tmp_path / "web.yml").write_text("")
    config = load_web_config(tmp_path / "web.yml")
    assert (config.tls, dict(config.users), config.needs_auth("/metrics")) == (None, {}, False)


def test_health_endpoints_never_need_credentials(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump({"basic_auth_users": {"alice": HASH.decode()}}))
    config = load_web_config(path)
    assert [config.needs_auth(p) for p in ("/metrics", "/health", "/-/healthy", "/-/ready")] == [
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("tls_server_config: [", "web.yml: not valid YAML at line 1, column 21: "),
        (
            "basic_auth_users: &users {alice: x}\nother: *users\n",
            "web.yml: not valid YAML at line 2, column 8: found an alias (*users)",
        ),
        ({"tls_server_config": {"cert_fle": "x"}}, "tls_server_config.cert_fle: unknown field"),
        ({"basic_auth_user": {}}, "basic_auth_user: unknown field"),
        (
            {"basic_auth_users": {"alice": "plain"}},
            "basic_auth_users.alice: not a bcrypt hash (expected $2y$10$...",
        ),
        (
            {"http_server_config": {"headers": {"X-Frame-Options": "allow"}}},
            "http_server_config.headers.X-Frame-Options: 'allow' is not one of",
        ),
        (
            {"http_server_config": {"headers": {"Server": "x"}}},
            "http_server_config.headers.Server: unknown field",
        ),
        (
            {"tls_server_config": {"cert_file": "a.crt"}},
            "tls_server_config.key_file: required when tls_server_config is set",
        ),
        (
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "min_version": "SSL3"}},
            "tls_server_config.min_version: 'SSL3' is not one of",
        ),
        (
            {
                "tls_server_config": {
                    "cert_file": "a",
                    "key_file": "b",
                    "client_auth_type": "RequireAnyClientCert",
                }
            },
            "tls_server_config.client_auth_type: RequireAnyClientCert (a certificate required "
            "but never verified) is not supported",
        ),
        (
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "client_ca_file": "ca"}},
            "tls_server_config.client_ca_file: client CAs are configured without a client auth",
        ),
        (
            {
                "tls_server_config": {
                    "cert_file": "a",
                    "key_file": "b",
                    "client_auth_type": "RequireAndVerifyClientCert",
                }
            },
            "tls_server_config.client_ca_file: required with client_auth_type: "
            "RequireAndVerifyClientCert",
        ),
        ({"rate_limit": {"interval": "1s"}}, "rate_limit: not supported by saas-exporter"),
    ],
)
def test_mistakes_are_named_by_path(tmp_path, data, expected):
    found = problems(tmp_path, data)
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_certificate_mistakes(tmp_path, pki):
    _, server, _ = pki
    missing = problems(tmp_path, {"tls_server_config": {"cert_file": "nope.crt", "key_file": "k"}})
    assert missing == [
        f"tls_server_config.cert_file: cannot read {tmp_path}/nope.crt: no such file"
    ]
    swapped = problems(
        tmp_path,
        {"tls_server_config": {"cert_file": str(server.key), "key_file": str(server.cert)}},
    )
    assert swapped[0].startswith(
        f"tls_server_config.cert_file: cannot load the certificate {server.key} with the key"
    )
    cipher = problems(
        tmp_path,
        {
            "tls_server_config": {
                "cert_file": str(server.cert),
                "key_file": str(server.key),
                "cipher_suites": ["TLS_RSA_WITH_RC4_128_SHA"],
            }
        },
    )
    assert cipher[0].startswith(
        "tls_server_config.cipher_suites: unknown cipher 'TLS_RSA_WITH_RC4_128_SHA'"
    )
    versions = problems(
        tmp_path,
        {
            "tls_server_config": {
                "cert_file": str(server.cert),
                "key_file": str(server.key),
                "min_version": "TLS13",
                "max_version": "TLS12",
            }
        },
    )
    assert versions == ["tls_server_config.max_version: TLS12 is below min_version TLS13"]


def test_a_good_tls_config_loads(tmp_path, pki):
    directory, server, ca = pki
    path = directory / "web.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {
                    "cert_file": server.cert.name,
                    "key_file": server.key.name,
                    "client_auth_type": "RequireAndVerifyClientCert",
                    "client_ca_file": ca.name,
                    "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
                    "curve_preferences": ["X25519"],
                },
                "http_server_config": {"http2": True},
            }
        )
    )
    tls = load_web_config(path).tls
    assert (tls.cert_file, tls.client_ca_file, tls.min_version) == (
        directory / "server.crt",
        directory / "ca.crt",
        "TLS12",
    )


def test_cli_refuses_a_bad_web_config_with_exit_2(tmp_path, capsys):
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump({"basic_auth_users": {"alice": "plain"}, "tls": {}}))
    assert main(["--demo", f"--web.config.file={path}"]) == 2
    err = capsys.readouterr().err
    assert err == f"saas-exporter: invalid web config {path}:\n  tls: unknown field\n"
    assert main(["--demo", "--web.telemetry-path=/health"]) == 2
    assert "--web.telemetry-path: expected a path such as /metrics" in capsys.readouterr().err


def test_every_password_check_runs_bcrypt_once_at_the_same_cost(monkeypatch):
    basic = BasicAuth({"alice": HASH})
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def recording(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", recording)
    assert not basic.check(_basic("alice", "wrong"))
    assert not basic.check(_basic("mallory", "wrong"))
    assert not basic.check(None)
    assert [h[:7] for h in checked] == [b"$2b$05$"] * 3
    assert checked[0] == HASH and checked[1] != HASH  # the unknown user: the dummy hash
    assert basic.check(_basic("alice", "s3cret"))
    assert basic.check(_basic("alice", "s3cret"))  # cached: bcrypt ran once for both
    assert len(checked) == 4


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
