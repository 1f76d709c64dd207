"""`--demo`: the exporter probing its own simulator, with no key and no network."""

from __future__ import annotations

from typing import Any

from .config import ExporterConfig, load_config_data

DEMO_KEY_ENV = "SAAS_EXPORTER_DEMO_KLAVIYO_KEY"
DEMO_ACCOUNT_ID = "DEMO01"
DEMO_START_SCENARIO = "minor_incident"


def demo_config_data(simulator_url: str, intervals: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": simulator_url,
                "statuspage_url": f"{simulator_url}/status/klaviyo",
                "revision": "2026-07-15",
                "timeout": "3s",
                "intervals": intervals
                or {"accounts": "15s", "profiles": "5s", "statuspage": "10s"},
                # The simulator is not Klaviyo: its limits allow fire-drill intervals.
                "rate_limits_per_minute": {"accounts": 6000, "profiles": 6000},
                "accounts": [
                    {
                        "name": "main",
                        "api_key_env": DEMO_KEY_ENV,
                        "expected_account_id": DEMO_ACCOUNT_ID,
                    }
                ],
            }
        ]
    }


def demo_config(simulator_url: str, intervals: dict[str, str] | None = None) -> ExporterConfig:
    env = {DEMO_KEY_ENV: f"pk_sim_{DEMO_ACCOUNT_ID}"}
    return load_config_data(demo_config_data(simulator_url, intervals), env)
