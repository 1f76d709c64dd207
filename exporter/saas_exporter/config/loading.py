"""Load a YAML config into the model, refusing it with the path of every mistake."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..catalog import CATALOG, STATUSPAGE_PROBE, VendorKind
from ..durations import parse_duration
from ..redaction import redact
from .accounts_dir import ACCOUNTS_DIR_KEY, AccountFiles, load_with_accounts_dir
from .budget import budget_problems
from .checks import (
    MIN_INTERVAL_SECONDS,
    MIN_TIMEOUT_SECONDS,
    api_path_problems,
    at_least_problems,
    header_problems,
    keys_in,
    revision_problem,
    url_problems,
)
from .files import read_config_file
from .keys import inline_key_problems, key_file_path, load_key, register_key
from .limits import build_limits
from .model import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_MAINTENANCES,
    DEFAULT_SILENCE_MARGIN_SECONDS,
    DEFAULT_SILENCE_SYNC_INTERVAL_SECONDS,
    DEFAULT_STARTUP_SPREAD_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    AccountConfig,
    ApiProbeConfig,
    ConfigError,
    ExporterConfig,
    MaintenancesConfig,
    ResponseLimits,
    SilenceSyncConfig,
    VendorConfig,
)
from .schema import schema_problems


def _build_api(
    path: str, kind: VendorKind, raw: Mapping[str, Any] | None
) -> tuple[ApiProbeConfig | None, list[str]]:
    if raw is None:
        return None, []
    auth_header = raw.get("auth_header", kind.default_auth_header)
    assert auth_header, "the schema requires auth_header when the kind has no default"
    problems = api_path_problems(f"{path}.api.path", raw["path"])
    problems += header_problems(f"{path}.api.headers", raw.get("headers", {}), auth_header)
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


def read_account_key(
    a_path: str,
    kind: VendorKind,
    account: Mapping[str, Any],
    env,
    base,
    api: ApiProbeConfig | None = None,
) -> tuple[str, str]:
    """(key, where it came from) for one account, shape-checked for its vendor kind;
    ValueError naming the config path of the problem (never the key). A key that passes
    is registered with the redactor."""
    key, source = load_key(a_path, account, env, base)
    key_field = "api_key_file" if "api_key_file" in account else "api_key_env"
    problem = kind.key_problem(key)
    if problem:
        raise ValueError(f"{a_path}.{key_field}: {problem} (from {source})")
    register_key(key, api)
    return key, source


def _unread_source(account: Mapping[str, Any], base) -> str:
    if "api_key_file" in account:
        return f"file {key_file_path(account, base)} (not read)"
    return f"environment variable {account['api_key_env']} (not read)"


def _accounts(
    path: str, kind: VendorKind, raw: Any, api: ApiProbeConfig | None, env, base, keys: bool
) -> tuple[list[AccountConfig], list[str]]:
    accounts: list[AccountConfig] = []
    problems: list[str] = []
    seen: set[str] = set()
    for a, account in enumerate(raw):
        a_path = f"{path}.accounts[{a}]"
        if account["name"] in seen:
            problems.append(f"{a_path}.name: duplicate account name {account['name']!r}")
        seen.add(account["name"])
        if not keys:
            accounts.append(
                AccountConfig(
                    account["name"],
                    "",
                    _unread_source(account, base),
                    account.get("expected_account_id"),
                )
            )
            continue
        try:
            key, source = read_account_key(a_path, kind, account, env, base, api)
        except ValueError as err:
            problems.append(str(err))
            continue
        key_file = key_file_path(account, base) if "api_key_file" in account else None
        accounts.append(
            AccountConfig(
                account["name"], key, source, account.get("expected_account_id"), key_file
            )
        )
    return accounts, problems


def _maintenances(raw: Mapping[str, Any]) -> MaintenancesConfig:
    silences = raw.get("silences")
    return MaintenancesConfig(
        max_per_vendor=raw.get("max_per_vendor", DEFAULT_MAX_MAINTENANCES),
        silences=SilenceSyncConfig(
            alertmanager_url=silences["alertmanager_url"].rstrip("/"),
            interval_seconds=parse_duration(silences["interval"])
            if "interval" in silences
            else DEFAULT_SILENCE_SYNC_INTERVAL_SECONDS,
            margin_seconds=parse_duration(silences["margin"])
            if "margin" in silences
            else DEFAULT_SILENCE_MARGIN_SECONDS,
        )
        if silences
        else None,
    )


def statuspage_of(kind: VendorKind, raw: Mapping[str, Any]) -> tuple[str | None, str]:
    """A vendor's status page URL (no trailing slash; None: no page) and format, from its
    config entry: the config's own, else the kind's defaults. The kind's format is known
    for the kind's own page only; a page the config names is detected (auto)."""
    url = raw.get("statuspage_url", kind.default_statuspage_url)
    default_format = kind.statuspage_format if "statuspage_url" not in raw else "auto"
    return (url.rstrip("/") if url else None), raw.get("statuspage_format", default_format)


def _build_vendor(
    v: int,
    raw: Mapping[str, Any],
    global_timeout: float,
    env,
    base,
    keys: bool,
    max_maintenances: int = DEFAULT_MAX_MAINTENANCES,
    response_limits: ResponseLimits = ResponseLimits(),  # noqa: B008 (frozen)
) -> tuple[VendorConfig, list[str]]:
    path = f"vendors[{v}]"
    kind = CATALOG.kinds[raw["kind"]]
    problems: list[str] = []
    intervals = {p: spec.interval_seconds for p, spec in kind.probes.items()}
    intervals.update({p: parse_duration(t) for p, t in raw.get("intervals", {}).items()})
    statuspage_url, statuspage_format = statuspage_of(kind, raw)
    if statuspage_url is None:
        intervals.pop(STATUSPAGE_PROBE, None)
    limits = {
        p: spec.steady_limit_per_minute
        for p, spec in kind.probes.items()
        if spec.steady_limit_per_minute is not None
    }
    limits.update(raw.get("rate_limits_per_minute", {}))
    timeout = parse_duration(raw["timeout"]) if "timeout" in raw else global_timeout
    problems += at_least_problems(
        path,
        {f"intervals.{p}": intervals[p] for p in raw.get("intervals", {})},
        MIN_INTERVAL_SECONDS,
    )
    if "timeout" in raw:
        problems += at_least_problems(path, {"timeout": timeout}, MIN_TIMEOUT_SECONDS)
    problems += url_problems(f"{path}.api_url", raw.get("api_url"))
    problems += url_problems(f"{path}.statuspage_url", raw.get("statuspage_url"))
    problem = revision_problem(f"{path}.revision", raw.get("revision"))
    problems += [problem] if problem else []
    for probe, interval in intervals.items():
        if 0 < interval <= timeout:
            problems.append(
                f"{path}.timeout: {timeout:g}s must be shorter than intervals.{probe} "
                f"({interval:g}s), or probes would overlap"
            )
    api, api_problems = _build_api(path, kind, raw.get("api"))
    problems += api_problems
    problems += budget_problems(path, kind, intervals, limits, api)
    accounts, account_problems = _accounts(path, kind, raw["accounts"], api, env, base, keys)
    problems += account_problems
    texts = {"api_url": raw.get("api_url"), "statuspage_url": raw.get("statuspage_url")}
    if api is not None:
        texts["api.path"] = api.path
        texts.update({f"api.headers.{n}": v for n, v in api.headers.items()})
    problems += keys_in(path, texts, [a.api_key for a in accounts])
    vendor = VendorConfig(
        name=raw["name"],
        kind=kind.name,
        api_url=(raw.get("api_url") or kind.default_api_url or "").rstrip("/"),
        statuspage_url=statuspage_url,
        revision=raw.get("revision", kind.default_revision),
        timeout_seconds=timeout,
        intervals=intervals,
        rate_limits_per_minute=limits,
        accounts=tuple(accounts),
        api=api,
        statuspage_format=statuspage_format,
        statuspage_api_components=tuple(
            raw.get("statuspage_api_components", kind.statuspage_api_components)
        ),
        max_maintenances=max_maintenances,
        limits=response_limits,
    )
    return vendor, problems


def load_config_data(
    data: Any,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    keys: bool = True,
    accounts_required: bool = True,
) -> ExporterConfig:
    """Validate parsed YAML and resolve keys; raises ConfigError listing every mistake,
    and nothing else, whatever ``data`` holds.

    With `keys=False` no key is read (structure and budget only). With
    `accounts_required=False` (an accounts_dir) a vendor may have no account."""
    try:
        return _load_config_data(data, env, base_dir, keys, accounts_required)
    except ConfigError:
        raise
    except Exception as err:  # last line of defence: a config mistake is never a traceback
        text = redact(f"{type(err).__name__}: {err}")[:200]
        raise ConfigError([f"(top level): the config could not be read ({text})"]) from None


def empty_accounts_problems(data: Any) -> list[str]:
    vendors = data.get("vendors") if isinstance(data, dict) else None
    return [
        f"vendors[{v}].accounts: expected a non-empty list of accounts, got []"
        for v, vendor in enumerate(vendors if isinstance(vendors, list) else [])
        if isinstance(vendor, dict) and vendor.get("accounts") == []
    ]


def _load_config_data(
    data: Any,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    keys: bool = True,
    accounts_required: bool = True,
) -> ExporterConfig:
    """Validate parsed YAML and resolve keys; raises ConfigError listing every mistake.

    With `keys=False` no key is read (structure and budget only, for CI before the
    secrets exist): every account's key is empty, so the result must never probe."""
    env = os.environ if env is None else env
    base = base_dir or Path.cwd()
    problems = inline_key_problems(data)
    if problems:
        raise ConfigError(problems)
    problems = schema_problems(data)
    if accounts_required:
        problems += empty_accounts_problems(data)
    if problems:
        raise ConfigError(problems)
    glob = data.get("global", {})
    maintenances = _maintenances(data.get("maintenances", {}))
    global_timeout = parse_duration(glob["timeout"]) if "timeout" in glob else None
    limits, problems = build_limits(glob.get("limits"))
    if global_timeout is not None:
        problems += at_least_problems("global", {"timeout": global_timeout}, MIN_TIMEOUT_SECONDS)
    silences = data.get("maintenances", {}).get("silences") or {}
    problems += url_problems(
        "maintenances.silences.alertmanager_url", silences.get("alertmanager_url")
    )
    vendors: list[VendorConfig] = []
    seen: set[str] = set()
    for v, raw in enumerate(data["vendors"]):
        if raw["name"] in seen:
            problems.append(f"vendors[{v}].name: duplicate vendor name {raw['name']!r}")
        seen.add(raw["name"])
        vendor, vendor_problems = _build_vendor(
            v,
            raw,
            global_timeout or DEFAULT_TIMEOUT_SECONDS,
            env,
            base,
            keys,
            maintenances.max_per_vendor,
            limits,
        )
        problems += vendor_problems
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
        maintenances=maintenances,
        limits=limits,
        series_profile=glob.get("series_profile", "full"),
    )


def load_config(
    path: str | Path,
    env: Mapping[str, str] | None = None,
    keys: bool = True,
    files: AccountFiles | None = None,
) -> ExporterConfig:
    """The config at ``path``, with its accounts_dir files merged; ``files`` records
    which were refused (and keeps their last good versions across reloads)."""
    path = Path(path)
    data = read_config_file(path)

    if ACCOUNTS_DIR_KEY not in data:
        return load_config_data(data, env, path.parent, keys)

    def load(merged: dict[str, Any]) -> ExporterConfig:
        # A vendor's accounts may all be in files, and every file may be refused.
        return load_config_data(merged, env, path.parent, keys, accounts_required=False)

    return load_with_accounts_dir(data, path, files or AccountFiles(), load)


def key_problems(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """Reads every account's key named by the config at `path` and checks its shape,
    whatever else the config says: (problems, the sources read). ConfigError when the
    file cannot be read or parsed at all."""
    path = Path(path)
    data = read_config_file(path)
    env = os.environ if env is None else env
    problems: list[str] = []
    sources: list[str] = []
    vendors = data.get("vendors")
    for v, vendor in enumerate(vendors if isinstance(vendors, list) else []):
        kind_name = vendor.get("kind") if isinstance(vendor, dict) else None
        kind = CATALOG.kinds.get(kind_name) if isinstance(kind_name, str) else None
        accounts = vendor.get("accounts") if isinstance(vendor, dict) else None
        for a, account in enumerate(accounts if isinstance(accounts, list) else []):
            a_path = f"vendors[{v}].accounts[{a}]"
            if kind is None or not isinstance(account, dict):
                problems.append(f"{a_path}: no known vendor kind or account here to check")
                continue
            if "api_key_file" not in account and "api_key_env" not in account:
                problems.append(f"{a_path}: expected api_key_file or api_key_env")
                continue
            try:
                sources.append(read_account_key(a_path, kind, account, env, path.parent)[1])
            except ValueError as err:
                problems.append(str(err))
    return problems, sources
