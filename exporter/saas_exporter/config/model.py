"""The exporter's config model: what a loaded, validated config is."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..catalog import CATALOG, VendorKind
from ..redaction import redact

# Which per-target series /metrics carries (saas_exporter.series).
SeriesProfile = Literal["full", "compact"]
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CONCURRENCY = 32
# First runs are staggered across at most this window (see scheduler.startup_offsets).
DEFAULT_STARTUP_SPREAD_SECONDS = 10.0
# Announced maintenances kept (and exported) per vendor; the rest are counted as dropped.
DEFAULT_MAX_MAINTENANCES = 20
# Silences sync inside the exporter: how often, and how far each window is widened.
DEFAULT_SILENCE_SYNC_INTERVAL_SECONDS = 300.0
DEFAULT_SILENCE_MARGIN_SECONDS = 600.0
KIB = 1024
MIB = 1024 * KIB


class ConfigError(Exception):
    """Every problem found, each starting with the path of the mistake; redacted here,
    so wherever a problem is printed (CLI, reload log, preflight) no secret goes along."""

    def __init__(self, problems: list[str]):
        self.problems = [redact(problem) for problem in problems]
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ResponseLimits:
    """How much of what a vendor sends the exporter keeps (``global.limits``); past a
    limit the probe fails with ``too_large``, or the extra items are dropped and counted.
    The README's "Limits and failure behaviour" lists each one."""

    # Body bytes after decompression; a body is read in chunks and dropped at the limit.
    max_body_bytes: int = 1 * MIB
    # All response header lines together (the HTTP client itself stops at 100 KiB).
    max_header_bytes: int = 64 * KIB
    # Status-page components and unresolved incidents kept per page (series per vendor).
    max_components: int = 500
    max_incidents: int = 50
    # Longest label value taken from a vendor's answer (names, ids, URLs); cut ones end
    # with an ellipsis.
    max_label_length: int = 256


@dataclass(frozen=True)
class AccountConfig:
    name: str
    api_key: str = field(repr=False)
    key_source: str
    expected_account_id: str | None = None
    # The key's file (api_key_file), re-read when it changes (keyfiles.py); None for a key
    # from an environment variable, which only a restart changes.
    key_file: Path | None = None


@dataclass(frozen=True)
class ApiProbeConfig:
    """The api_get protocol's probe (clay, generic): one authenticated GET."""

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
    # The status-page components that are the API this integration uses (the kind's, or
    # the config's); empty: the page's indicator stands for the API (saas_exporter.cause).
    statuspage_api_components: tuple[str, ...] = ()
    max_maintenances: int = DEFAULT_MAX_MAINTENANCES
    limits: ResponseLimits = field(default_factory=ResponseLimits)

    @property
    def kind_spec(self) -> VendorKind:
        return CATALOG.kinds[self.kind]


@dataclass(frozen=True)
class SilenceSyncConfig:
    """`maintenances.silences`: the exporter keeps Alertmanager's silences in step with
    the announced maintenances (what `saas-exporter silences sync` does once)."""

    alertmanager_url: str
    interval_seconds: float = DEFAULT_SILENCE_SYNC_INTERVAL_SECONDS
    margin_seconds: float = DEFAULT_SILENCE_MARGIN_SECONDS


@dataclass(frozen=True)
class MaintenancesConfig:
    max_per_vendor: int = DEFAULT_MAX_MAINTENANCES
    silences: SilenceSyncConfig | None = None


@dataclass(frozen=True)
class ExporterConfig:
    vendors: tuple[VendorConfig, ...]
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    startup_spread_seconds: float = DEFAULT_STARTUP_SPREAD_SECONDS
    maintenances: MaintenancesConfig = field(default_factory=MaintenancesConfig)
    limits: ResponseLimits = field(default_factory=ResponseLimits)
    # Which per-target series /metrics carries: "full" or "compact" (saas_exporter.series).
    series_profile: SeriesProfile = "full"

    def vendor(self, name: str) -> VendorConfig:
        for vendor in self.vendors:
            if vendor.name == name:
                return vendor
        raise KeyError(name)
