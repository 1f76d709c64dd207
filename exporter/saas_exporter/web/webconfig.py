"""``--web.config.file``: the exporter-toolkit web configuration (TLS, basic auth,
response headers) shared by node_exporter, blackbox_exporter and the rest, so a team can
reuse the file it already has.

Read strictly, like the toolkit (an unknown key is a mistake), and checked whole at start
and at reload: certificates load, hashes are bcrypt, every mistake is reported with its
path. Differences from the toolkit, each refused with a reason rather than ignored:
``RequireAnyClientCert`` (Python's TLS cannot require a certificate without verifying
it), inline ``cert``/``key``, and ``rate_limit``. ``http2`` and ``curve_preferences``
are accepted and have no effect (HTTP/1.1 only; the TLS library's curve defaults).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import bcrypt
import jsonschema

from ..config.files import read_yaml_file
from ..config.model import ConfigError

# Health endpoints answer without credentials: the kubelet's probes and a Docker
# HEALTHCHECK must reach them, and they reveal nothing ("OK", "Ready").
ALWAYS_OPEN_PATHS = ("/-/healthy", "/-/ready")


class WebConfigError(Exception):
    """Every problem found, each starting with the path of the mistake."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class TLSSettings:
    cert_file: Path
    key_file: Path
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    client_ca: str | None = None
    client_allowed_sans: tuple[str, ...] = ()
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True


@dataclass(frozen=True)
class WebConfig:
    tls: TLSSettings | None = None
    users: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)
    auth_excluded_paths: tuple[str, ...] = ()

    def needs_auth(self, path: str) -> bool:
        return bool(self.users) and path not in ALWAYS_OPEN_PATHS + self.auth_excluded_paths


def _schema() -> dict[str, Any]:
    text = resources.files("saas_exporter").joinpath("schemas/web-config.schema.json")
    return json.loads(text.read_text())


def _where(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema_problems(data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for key in extra:
                problems.append(f"{_where([*error.absolute_path, key])}: unknown field")
            continue
        problems.append(f"{_where(error.absolute_path)}: {error.message}")
    return problems


def _user_problems(users: Mapping[str, str]) -> list[str]:
    problems = []
    for user, hashed in users.items():
        try:
            bcrypt.checkpw(b"", hashed.encode())
        except ValueError:
            problems.append(
                f"basic_auth_users.{user}: not a bcrypt hash (expected $2y$10$..., "
                "e.g. from htpasswd -nBC 10 '' | tr -d ':\\n')"
            )
    return problems


def _tls_settings(raw: Mapping[str, Any], base: Path) -> tuple[TLSSettings | None, list[str]]:
    if not raw:
        return None, []
    where = "tls_server_config"
    problems = []
    for inline in ("cert", "key"):
        if inline in raw:
            problems.append(
                f"{where}.{inline}: inline certificates and keys are not supported; "
                f"use {inline}_file"
            )
    for needed in ("cert_file", "key_file"):
        if not raw.get(needed):
            problems.append(f"{where}.{needed}: required when tls_server_config is set")
    auth = raw.get("client_auth_type") or "NoClientCert"
    if auth in ("RequireAnyClientCert", "RequireClientCert"):
        problems.append(
            f"{where}.client_auth_type: {auth} (a certificate required but never verified) "
            "is not supported; use RequireAndVerifyClientCert with client_ca_file"
        )
    has_ca = bool(raw.get("client_ca_file") or raw.get("client_ca"))
    if has_ca and auth in ("NoClientCert", "RequestClientCert"):
        problems.append(
            f"{where}.client_ca_file: client CAs are configured without a client auth "
            "policy; set client_auth_type: RequireAndVerifyClientCert"
        )
    if not has_ca and auth in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert"):
        problems.append(f"{where}.client_ca_file: required with client_auth_type: {auth}")
    if raw.get("client_allowed_sans") and auth != "RequireAndVerifyClientCert":
        problems.append(
            f"{where}.client_allowed_sans: needs client_auth_type: RequireAndVerifyClientCert"
        )
    if problems:
        return None, problems

    def resolve(name: str) -> Path:
        path = Path(raw[name])
        return path if path.is_absolute() else base / path

    settings = TLSSettings(
        cert_file=resolve("cert_file"),
        key_file=resolve("key_file"),
        client_auth_type=auth,
        client_ca_file=resolve("client_ca_file") if raw.get("client_ca_file") else None,
        client_ca=raw.get("client_ca"),
        client_allowed_sans=tuple(raw.get("client_allowed_sans", ())),
        min_version=raw.get("min_version", "TLS12"),
        max_version=raw.get("max_version", "TLS13"),
        cipher_suites=tuple(raw.get("cipher_suites", ())),
        prefer_server_cipher_suites=raw.get("prefer_server_cipher_suites", True),
    )
    from .tls import ssl_context  # checks files, versions and ciphers by building it

    try:
        ssl_context(settings)
    except ValueError as err:
        return None, [str(err)]
    return settings, []


def parse_web_config(data: Any, base: Path) -> WebConfig:
    if data is None:
        return WebConfig()  # an empty file: plain HTTP, no auth (as the toolkit)
    if not isinstance(data, dict):
        raise WebConfigError(["(top level): expected a mapping"])
    problems = _schema_problems(data)
    if "rate_limit" in data:
        problems.append("rate_limit: not supported by saas-exporter; remove it")
    if problems:
        raise WebConfigError(problems)
    users = data.get("basic_auth_users") or {}
    problems = _user_problems(users)
    tls, tls_problems = _tls_settings(data.get("tls_server_config") or {}, base)
    problems += tls_problems
    if problems:
        raise WebConfigError(problems)
    return WebConfig(
        tls=tls,
        users={user: hashed.encode() for user, hashed in users.items()},
        headers=dict((data.get("http_server_config") or {}).get("headers") or {}),
        auth_excluded_paths=tuple(data.get("auth_excluded_paths", ())),
    )


def load_web_config(path: str | Path) -> WebConfig:
    """The web config file, read as safely as the exporter's own config (bounded size,
    UTF-8 only, no YAML aliases); WebConfigError names each problem."""
    path = Path(path)
    try:
        data = read_yaml_file(path)
    except ConfigError as err:
        raise WebConfigError(
            [
                p.replace("cannot read the config", "cannot read the web config")
                for p in err.problems
            ]
        ) from None
    return parse_web_config(data, path.parent)
