"""The demo's exporter config: the exporter probing its own simulator, with no key and no
network.

Three vendors, one per kind: Klaviyo (Atlassian status page), Clay (Rootly status page)
and "Acme", a ``generic`` vendor configured the way Shopify or Twilio would be. The
demo's pieces listen on fixed loopback ports, so the on-call commands' `--demo` finds
them without a config file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ..config import ExporterConfig, load_config_data

# Where the demo's pieces listen by default (the exporter on its usual port).
DEMO_EXPORTER_ADDRESS = "127.0.0.1:9879"
DEMO_SIMULATOR_ADDRESS = "127.0.0.1:9880"
DEMO_APP_ADDRESS = "127.0.0.1:9881"
DEMO_SIMULATOR_URL = f"http://{DEMO_SIMULATOR_ADDRESS}"
DEMO_EXPORTER_URL = f"http://{DEMO_EXPORTER_ADDRESS}"
DEMO_KEY_ENV = "SAAS_EXPORTER_DEMO_KLAVIYO_KEY"
DEMO_CLAY_KEY_ENV = "SAAS_EXPORTER_DEMO_CLAY_KEY"
DEMO_ACME_KEY_ENV = "SAAS_EXPORTER_DEMO_ACME_KEY"
DEMO_ACCOUNT_ID = "DEMO01"
DEMO_CLAY_WORKSPACE_ID = "DEMO02"
DEMO_ACME_ACCOUNT_ID = "DEMO03"
# Every demo vendor's one account (the `account` label, on the app's series too).
DEMO_ACCOUNT_NAME = "main"
DEMO_START_SCENARIO = "minor_incident"
DEMO_VENDORS = ("klaviyo", "clay", "acme")
DEFAULT_INTERVALS = {"accounts": "15s", "profiles": "5s", "api": "10s", "statuspage": "10s"}
# The simulator is not the vendor: its limits allow fire-drill intervals.
SIMULATOR_LIMIT = 6000


def _intervals(intervals: Mapping[str, str], probes: tuple[str, ...]) -> dict[str, str]:
    return {p: intervals[p] for p in probes if p in intervals}


def _vendor(name: str, simulator_url: str, intervals: Mapping[str, str]) -> dict[str, Any]:
    if name == "klaviyo":
        return {
            "name": "klaviyo",
            "kind": "klaviyo",
            "api_url": simulator_url,
            "statuspage_url": f"{simulator_url}/status/klaviyo",
            "revision": "2026-07-15",
            "timeout": "3s",
            "intervals": _intervals(intervals, ("accounts", "profiles", "statuspage")),
            "rate_limits_per_minute": {"accounts": SIMULATOR_LIMIT, "profiles": SIMULATOR_LIMIT},
            "accounts": [
                {
                    "name": DEMO_ACCOUNT_NAME,
                    "api_key_env": DEMO_KEY_ENV,
                    "expected_account_id": DEMO_ACCOUNT_ID,
                }
            ],
        }
    if name == "clay":
        return {
            "name": "clay",
            "kind": "clay",
            "api_url": f"{simulator_url}/clay/public/v0",
            "statuspage_url": f"{simulator_url}/status/clay",
            "timeout": "3s",
            "intervals": _intervals(intervals, ("api", "statuspage")),
            "rate_limits_per_minute": {"api": SIMULATOR_LIMIT},
            "api": {"path": "/me", "account_id_field": "workspace.id"},
            "accounts": [
                {
                    "name": DEMO_ACCOUNT_NAME,
                    "api_key_env": DEMO_CLAY_KEY_ENV,
                    "expected_account_id": DEMO_CLAY_WORKSPACE_ID,
                }
            ],
        }
    return {
        "name": "acme",
        "kind": "generic",
        "api_url": f"{simulator_url}/acme",
        "statuspage_url": f"{simulator_url}/status/acme",
        "timeout": "3s",
        "intervals": _intervals(intervals, ("api", "statuspage")),
        "rate_limits_per_minute": {"api": SIMULATOR_LIMIT},
        "api": {
            "path": "/v1/me",
            "auth_header": "Authorization",
            "auth_prefix": "Bearer ",
            "ratelimit_headers": {
                "limit": "x-acme-quota-limit",
                "remaining": "x-acme-quota-remaining",
                "reset": "x-acme-quota-reset",
            },
            "account_id_field": "account.id",
        },
        "accounts": [
            {
                "name": DEMO_ACCOUNT_NAME,
                "api_key_env": DEMO_ACME_KEY_ENV,
                "expected_account_id": DEMO_ACME_ACCOUNT_ID,
            }
        ],
    }


def demo_config_data(
    simulator_url: str,
    intervals: Mapping[str, str] | None = None,
    vendors: tuple[str, ...] = DEMO_VENDORS,
) -> dict[str, Any]:
    merged = {**DEFAULT_INTERVALS, **(intervals or {})}
    return {"vendors": [_vendor(name, simulator_url, merged) for name in vendors]}


def demo_env() -> dict[str, str]:
    return {
        DEMO_KEY_ENV: f"pk_sim_{DEMO_ACCOUNT_ID}",
        DEMO_CLAY_KEY_ENV: f"clay_sim_{DEMO_CLAY_WORKSPACE_ID}",
        DEMO_ACME_KEY_ENV: f"acme_sim_{DEMO_ACME_ACCOUNT_ID}",
    }


def demo_config(
    simulator_url: str,
    intervals: Mapping[str, str] | None = None,
    vendors: tuple[str, ...] = DEMO_VENDORS,
) -> ExporterConfig:
    return load_config_data(demo_config_data(simulator_url, intervals, vendors), demo_env())


def demo_config_yaml(simulator_url: str = DEMO_SIMULATOR_URL) -> str:
    """The demo's config as a file (`saas-exporter demo --print-config`): a starting point
    for a real one. Its keys come from the environment, as a real config's should."""
    exports = " ".join(f"{name}={value}" for name, value in demo_env().items())
    header = (
        "# saas-exporter: the demo's config (saas-exporter demo --print-config).\n"
        "# The demo's keys are not secrets; with this file, set them first:\n"
        f"#   export {exports}\n"
    )
    return header + yaml.safe_dump(demo_config_data(simulator_url), sort_keys=False)
