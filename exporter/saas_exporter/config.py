"""Load and validate the exporter's YAML config; refuse a bad one with the path of each mistake."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .redaction import register_secret
from .vendor_kinds import KINDS, VendorKind

# A probe may use at most this share of an endpoint's steady per-account limit.
MAX_BUDGET_SHARE = 0.10
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CONCURRENCY = 32
# First runs are staggered across at most this window (see scheduler.startup_offsets).
DEFAULT_STARTUP_SPREAD_SECONDS = 10.0
_DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ConfigError(Exception):
    """Every problem found, each starting with the path of the mistake."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class AccountConfig:
    name: str
    api_key: str = field(repr=False)
    key_source: str
    expected_account_id: str | None = None


@dataclass(frozen=True)
class ApiProbeConfig:
    """The clay and generic kinds' api probe: one authenticated GET."""

    path: str
    auth_header: str
    auth_prefix: str = ""
    auth_base64: bool = False
    expected_status: tuple[int, ...] = (200,)
    # Vendor-specific header names by field (limit, remaining, reset, used_of_limit).
    ratelimit_headers: Mapping[str, str] = field(default_factory=dict)
    json_field: str | None = None
    account_id_field: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def auth_value(self, key: str) -> str:
        token = base64.b64encode(key.encode()).decode() if self.auth_base64 else key
        return f"{self.auth_prefix}{token}"


@dataclass(frozen=True)
class VendorConfig:
    name: str
    kind: str
    api_url: str
    statuspage_url: str | None
    revision: str | None
    timeout_seconds: float
    intervals: Mapping[str, float]
    rate_limits_per_minute: Mapping[str, float]
    accounts: tuple[AccountConfig, ...]
    api: ApiProbeConfig | None = None
    statuspage_format: str = "auto"

    @property
    def kind_spec(self) -> VendorKind:
        return KINDS[self.kind]


@dataclass(frozen=True)
class ExporterConfig:
    vendors: tuple[VendorConfig, ...]
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    startup_spread_seconds: float = DEFAULT_STARTUP_SPREAD_SECONDS

    def vendor(self, name: str) -> VendorConfig:
        for vendor in self.vendors:
            if vendor.name == name:
                return vendor
        raise KeyError(name)


def parse_duration(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like 500ms, 30s, 10m or 1h, got {text!r}")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def format_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema() -> dict[str, Any]:
    text = resources.files("saas_exporter").joinpath("schemas/config.schema.json").read_text()
    return json.loads(text)


def _describe(error: jsonschema.ValidationError) -> str:
    path = format_path(error.absolute_path)
    if error.validator == "required":
        return f"{path}: {error.message}"
    if error.validator == "additionalProperties":
        return f"{path}: {error.message}"
    expected = error.schema.get("x-expected") if isinstance(error.schema, dict) else None
    if expected:
        return f"{path}: expected {expected}, got {json.dumps(error.instance, default=str)}"
    return f"{path}: {error.message}"


def _schema_problems(data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        # For oneOf/anyOf keep the parent's own message rather than every branch's.
        problems.append(_describe(error))
    return sorted(set(problems), key=problems.index)


def _inline_key_problems(data: Any) -> list[str]:
    problems = []
    vendors = data.get("vendors") if isinstance(data, dict) else None
    for v, vendor in enumerate(vendors if isinstance(vendors, list) else []):
        accounts = vendor.get("accounts") if isinstance(vendor, dict) else None
        for a, account in enumerate(accounts if isinstance(accounts, list) else []):
            if isinstance(account, dict):
                for key in ("api_key", "key", "private_key", "token"):
                    if key in account:
                        problems.append(
                            f"vendors[{v}].accounts[{a}].{key}: inline API keys are refused "
                            "(configs end up in repositories, tickets and bundles); put the key "
                            "in a file (api_key_file) or an environment variable (api_key_env)"
                        )
    return problems


def _load_key(path: str, account: Mapping[str, Any], env: Mapping[str, str], base: Path):
    if "api_key_file" in account:
        key_path = Path(account["api_key_file"])
        if not key_path.is_absolute():
            key_path = base / key_path
        try:
            key = key_path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ValueError(
                f"{path}.api_key_file: cannot read {key_path}: {err.strerror or err}"
            ) from None
        if not key:
            raise ValueError(f"{path}.api_key_file: {key_path} is empty; expected an API key")
        return key, f"file {key_path}"
    name = account["api_key_env"]
    key = env.get(name, "").strip()
    if not key:
        raise ValueError(
            f"{path}.api_key_env: environment variable {name} is not set or empty; "
            "expected it to hold the API key"
        )
    return key, f"environment variable {name}"


def _endpoint(kind: VendorKind, probe: str, api: ApiProbeConfig | None) -> str:
    if probe == "api" and api is not None:
        return f"GET {api.path}"
    return kind.probe_defaults[probe].endpoint


def _budget_problems(
    path: str, kind: VendorKind, intervals, limits, api: ApiProbeConfig | None
) -> list[str]:
    problems = []
    for probe, interval in intervals.items():
        limit = limits.get(probe)
        if limit is None:
            continue
        per_minute = 60.0 / interval
        share = per_minute / limit
        if share > MAX_BUDGET_SHARE:
            floor = 60.0 / (limit * MAX_BUDGET_SHARE)
            problems.append(
                f"{path}.intervals.{probe}: every {interval:g}s is {per_minute:.2f} calls/min, "
                f"{share:.1%} of the {_endpoint(kind, probe, api)} steady limit of "
                f"{limit:g}/min per account; probes share the production app's budget, so "
                f"more than {MAX_BUDGET_SHARE:.0%} is refused: use at least {floor:g}s"
            )
    return problems


def _build_api(
    path: str, kind: VendorKind, raw: Mapping[str, Any] | None
) -> tuple[ApiProbeConfig | None, list[str]]:
    if raw is None:
        return None, []
    auth_header = raw.get("auth_header", kind.default_auth_header)
    assert auth_header, "the schema requires auth_header when the kind has no default"
    problems = []
    for name in raw.get("headers", {}):
        if name.lower() in ("authorization", auth_header.lower()):
            problems.append(
                f"{path}.api.headers.{name}: credentials are refused here (configs end up "
                "in repositories, tickets and bundles); the key goes in api_key_file or "
                f"api_key_env and is sent in api.auth_header ({auth_header})"
            )
    status = raw.get("expected_status", 200)
    api = ApiProbeConfig(
        path=raw["path"],
        auth_header=auth_header,
        auth_prefix=raw.get("auth_prefix", ""),
        auth_base64=raw.get("auth_base64", False),
        expected_status=tuple(status) if isinstance(status, list) else (status,),
        ratelimit_headers={k: v.lower() for k, v in raw.get("ratelimit_headers", {}).items()},
        json_field=raw.get("json_field"),
        account_id_field=raw.get("account_id_field"),
        headers=dict(raw.get("headers", {})),
    )
    return api, problems


def _build_vendor(
    v: int, raw: Mapping[str, Any], global_timeout: float, env, base
) -> tuple[VendorConfig | None, list[str]]:
    path = f"vendors[{v}]"
    kind = KINDS[raw["kind"]]
    problems: list[str] = []
    intervals = {p: d.interval_seconds for p, d in kind.probe_defaults.items()}
    intervals.update({p: parse_duration(t) for p, t in raw.get("intervals", {}).items()})
    statuspage_url = raw.get("statuspage_url", kind.default_statuspage_url)
    if statuspage_url is None:
        intervals.pop("statuspage", None)
    limits = {
        p: d.steady_limit_per_minute
        for p, d in kind.probe_defaults.items()
        if d.steady_limit_per_minute is not None
    }
    limits.update(raw.get("rate_limits_per_minute", {}))
    timeout = parse_duration(raw["timeout"]) if "timeout" in raw else global_timeout
    for probe, interval in intervals.items():
        if timeout >= interval:
            problems.append(
                f"{path}.timeout: {timeout:g}s must be shorter than intervals.{probe} "
                f"({interval:g}s), or probes would overlap"
            )
    api, api_problems = _build_api(path, kind, raw.get("api"))
    problems += api_problems
    problems += _budget_problems(path, kind, intervals, limits, api)

    accounts: list[AccountConfig] = []
    seen: set[str] = set()
    for a, account in enumerate(raw["accounts"]):
        a_path = f"{path}.accounts[{a}]"
        if account["name"] in seen:
            problems.append(f"{a_path}.name: duplicate account name {account['name']!r}")
        seen.add(account["name"])
        try:
            key, source = _load_key(a_path, account, env, base)
        except ValueError as err:
            problems.append(str(err))
            continue
        key_field = "api_key_file" if "api_key_file" in account else "api_key_env"
        problem = kind.key_problem(key)
        if problem:
            problems.append(f"{a_path}.{key_field}: {problem} (from {source})")
            continue
        register_secret(key)
        if api is not None and api.auth_base64:
            register_secret(api.auth_value(key)[len(api.auth_prefix) :])
        accounts.append(
            AccountConfig(account["name"], key, source, account.get("expected_account_id"))
        )
    vendor = VendorConfig(
        name=raw["name"],
        kind=kind.name,
        api_url=raw.get("api_url", kind.default_api_url).rstrip("/"),
        statuspage_url=statuspage_url.rstrip("/") if statuspage_url else None,
        revision=raw.get("revision", kind.default_revision),
        timeout_seconds=timeout,
        intervals=intervals,
        rate_limits_per_minute=limits,
        accounts=tuple(accounts),
        api=api,
        statuspage_format=raw.get("statuspage_format", "auto"),
    )
    return vendor, problems


def load_config_data(
    data: Any, env: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> ExporterConfig:
    """Validate parsed YAML and resolve keys; raises ConfigError listing every mistake."""
    env = os.environ if env is None else env
    base = base_dir or Path.cwd()
    problems = _inline_key_problems(data)
    if problems:
        raise ConfigError(problems)
    problems = _schema_problems(data)
    if problems:
        raise ConfigError(problems)
    glob = data.get("global", {})
    global_timeout = parse_duration(glob["timeout"]) if "timeout" in glob else None
    vendors: list[VendorConfig] = []
    seen: set[str] = set()
    for v, raw in enumerate(data["vendors"]):
        if raw["name"] in seen:
            problems.append(f"vendors[{v}].name: duplicate vendor name {raw['name']!r}")
        seen.add(raw["name"])
        vendor, vendor_problems = _build_vendor(
            v, raw, global_timeout or DEFAULT_TIMEOUT_SECONDS, env, base
        )
        problems += vendor_problems
        if vendor:
            vendors.append(vendor)
    if problems:
        raise ConfigError(problems)
    return ExporterConfig(
        vendors=tuple(vendors),
        max_concurrency=glob.get("max_concurrency", DEFAULT_MAX_CONCURRENCY),
        startup_spread_seconds=(
            parse_duration(glob["startup_spread"])
            if "startup_spread" in glob
            else DEFAULT_STARTUP_SPREAD_SECONDS
        ),
    )


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> ExporterConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"{path}: cannot read the config: {err.strerror or err}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", err)
        raise ConfigError([f"{path}: not valid YAML{where}: {problem}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping with a 'vendors' list at the top level"])
    return load_config_data(data, env, path.parent)
