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


# A key file is one key: anything bigger is the wrong file.
MAX_KEY_FILE_BYTES = 64 * 1024
_BOM = "\ufeff"


def key_text_problem(key: str) -> str | None:
    """What makes ``key`` unsendable in an HTTP header, naming the position, never the key."""
    if key.startswith(_BOM):
        return "starts with a byte-order mark (BOM)"
    for i, char in enumerate(key):
        if char == _BOM:
            return f"holds a byte-order mark (BOM) at character {i + 1}"
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"holds a control character at character {i + 1}"
        if ord(char) > 0x7E:
            return f"holds a non-ASCII character at character {i + 1}"
    return None


def _read_key_file(path: str, key_path: Path) -> str:
    try:
        with key_path.open("rb") as handle:
            raw = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as err:
        raise ValueError(
            f"{path}.api_key_file: cannot read {key_path}: {err.strerror or err}"
        ) from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise ValueError(
            f"{path}.api_key_file: {key_path} is over {MAX_KEY_FILE_BYTES // 1024} KiB; "
            "expected a file holding one API key"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}.api_key_file: {key_path} is not UTF-8 text") from None


def load_key(
    path: str, account: Mapping[str, Any], env: Mapping[str, str], base: Path
) -> tuple[str, str]:
    """(key, where it came from); ValueError with the config path of the problem (which
    never repeats the key)."""
    if "api_key_file" in account:
        key_path = key_file_path(account, base)
        key = _read_key_file(path, key_path).strip()
        field, source = "api_key_file", f"file {key_path}"
        if not key:
            raise ValueError(f"{path}.api_key_file: {key_path} is empty; expected an API key")
    else:
        name = account["api_key_env"]
        key = env.get(name, "").strip()
        field, source = "api_key_env", f"environment variable {name}"
        if not key:
            raise ValueError(
                f"{path}.api_key_env: environment variable {name} is not set or empty; "
                "expected it to hold the API key"
            )
    problem = key_text_problem(key)
    if problem:
        raise ValueError(f"{path}.{field}: the key {problem} (from {source})")
    return key, source
