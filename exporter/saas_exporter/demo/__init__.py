"""The demo: the exporter probing its own simulator, a simulated application using the
in-app library, no key and no network (`saas-exporter demo`, `make demo`).

- `config`: the demo's exporter config and its fixed loopback addresses;
- `app`: the simulated application (saas_inapp.instrument, saas_inapp.webhooks);
- `stack`: the pieces started and stopped together;
- `command`: `saas-exporter demo` and what it prints.
"""

from .config import (
    DEMO_ACCOUNT_ID,
    DEMO_ACME_ACCOUNT_ID,
    DEMO_ACME_KEY_ENV,
    DEMO_APP_ADDRESS,
    DEMO_CLAY_KEY_ENV,
    DEMO_CLAY_WORKSPACE_ID,
    DEMO_EXPORTER_ADDRESS,
    DEMO_EXPORTER_URL,
    DEMO_KEY_ENV,
    DEMO_SIMULATOR_ADDRESS,
    DEMO_SIMULATOR_URL,
    DEMO_START_SCENARIO,
    DEMO_VENDORS,
    demo_config,
    demo_config_data,
    demo_config_yaml,
    demo_env,
)

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_ACME_ACCOUNT_ID",
    "DEMO_ACME_KEY_ENV",
    "DEMO_APP_ADDRESS",
    "DEMO_CLAY_KEY_ENV",
    "DEMO_CLAY_WORKSPACE_ID",
    "DEMO_EXPORTER_ADDRESS",
    "DEMO_EXPORTER_URL",
    "DEMO_KEY_ENV",
    "DEMO_SIMULATOR_ADDRESS",
    "DEMO_SIMULATOR_URL",
    "DEMO_START_SCENARIO",
    "DEMO_VENDORS",
    "demo_config",
    "demo_config_data",
    "demo_config_yaml",
    "demo_env",
]
