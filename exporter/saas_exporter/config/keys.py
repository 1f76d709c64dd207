"""API keys: refused inline, read from a file or an environment variable, shape-checked."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..redaction import register_secret
from .model import ApiProbeConfig

INLINE_KEY_FIELDS = ("api_key", "key", "private_key", "token")


def register_key(key: str, api: ApiProbeConfig | None) -> None:
    """Redact the key, and the form it travels in when the vendor wants it base64'd."""
    register_secret(key)
    if api is not None and api.auth_base64:
        register_secret(api.auth_value(key)[len(api.auth_prefix) :])


def inline_key_problems(data: Any) -> list[str]:
    problems = []
    vendors = data.get("vendors") if isinstance(data, dict) else None
    for v, vendor in enumerate(vendors if isinstance(vendors, list) else []):
        accounts = vendor.get("accounts") if isinstance(vendor, dict) else None
        for a, account in enumerate(accounts if isinstance(accounts, list) else []):
            if isinstance(account, dict):
                for key in INLINE_KEY_FIELDS:
                    if key in account:
                        problems.append(
                            f"vendors[{v}].accounts[{a}].{key}: inline API keys are refused "
                            "(configs end up in repositories, tickets and bundles); put the key "
                            "in a file (api_key_file) or an environment variable (api_key_env)"
                        )
    return problems


def key_file_path(account: Mapping[str, Any], base: Path) -> Path:
    key_path = Path(account["api_key_file"])
    return key_path if key_path.is_absolute() else base / key_path


def load_key(
    path: str, account: Mapping[str, Any], env: Mapping[str, str], base: Path
) -> tuple[str, str]:
    """(key, where it came from); ValueError with the config path of the problem."""
    if "api_key_file" in account:
        key_path = key_file_path(account, base)
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
