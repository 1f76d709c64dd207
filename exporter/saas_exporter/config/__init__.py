"""The exporter's config, split by job: the model, the schema (structure + catalog
rules), keys, the budget rule, and loading."""

from __future__ import annotations

from ..durations import parse_duration
from .budget import MAX_BUDGET_SHARE
from .loading import (
    key_problems,
    load_config,
    load_config_data,
    read_config_file,
    statuspage_of,
)
from .model import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_SILENCE_MARGIN_SECONDS,
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
from .schema import format_path

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_SILENCE_MARGIN_SECONDS",
    "DEFAULT_STARTUP_SPREAD_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_BUDGET_SHARE",
    "AccountConfig",
    "ApiProbeConfig",
    "ConfigError",
    "ExporterConfig",
    "MaintenancesConfig",
    "ResponseLimits",
    "SilenceSyncConfig",
    "VendorConfig",
    "format_path",
    "key_problems",
    "load_config",
    "load_config_data",
    "parse_duration",
    "read_config_file",
    "statuspage_of",
]
