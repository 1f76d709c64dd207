"""What the exporter knows about each kind of vendor: endpoints, limits, key shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProbeDefaults:
    interval_seconds: float
    # The endpoint's steady per-account limit (requests per minute), None when the
    # endpoint is unauthenticated and shares no budget with the production app.
    steady_limit_per_minute: float | None
    endpoint: str


@dataclass(frozen=True)
class VendorKind:
    name: str
    default_api_url: str
    default_statuspage_url: str | None
    default_revision: str | None
    identity_probe: str
    account_probes: tuple[str, ...]
    probe_defaults: dict[str, ProbeDefaults]
    key_problem: Callable[[str], str | None]
    # Statuses that mean something specific for this vendor (Clay: 402 = credits).
    status_reasons: Mapping[int, str] = field(default_factory=dict)
    # The api probe's defaults (clay, generic): header the key goes in, and whether
    # the config must name the API's base URL.
    default_auth_header: str | None = None
    requires_api_url: bool = False


def _klaviyo_key_problem(key: str) -> str | None:
    if len(key) == 6 and not key.startswith("pk_"):
        return (
            "this is a 6-character public key (site id), which only works on client "
            "endpoints; the probes need a private API key starting with pk_"
        )
    if not key.startswith("pk_"):
        return "expected a Klaviyo private API key starting with pk_"
    if any(c.isspace() for c in key):
        return "the key contains white space; expected a single pk_ token"
    return None


KLAVIYO = VendorKind(
    name="klaviyo",
    default_api_url="https://a.klaviyo.com",
    default_statuspage_url="https://status.klaviyo.com",
    default_revision="2026-07-15",
    identity_probe="accounts",
    account_probes=("accounts", "profiles"),
    probe_defaults={
        # 600 s = 0.1 req/min = 0.67% of the XS tier's 15/min.
        "accounts": ProbeDefaults(600.0, 15.0, "GET /api/accounts/"),
        # 30 s = 2 req/min = 0.29% of the L tier's 700/min.
        "profiles": ProbeDefaults(30.0, 700.0, "GET /api/profiles/"),
        "statuspage": ProbeDefaults(60.0, None, "GET /api/v2/summary.json"),
    },
    key_problem=_klaviyo_key_problem,
)


def _opaque_key_problem(key: str) -> str | None:
    """Clay and generic keys have no documented shape: one token, no white space."""
    if any(c.isspace() for c in key):
        return "the key contains white space; expected a single token"
    return None


# The api probe's limit is unknown until the config sets rate_limits_per_minute.api.
_API_PROBE_DEFAULTS = {
    # Every 2 min (0.5/min): the pack's default `for: 5m` then needs three failed probes
    # in a row, and an API P1 pages within ~9 min, inside the runbook's 15 min.
    "api": ProbeDefaults(120.0, None, "GET {api.path}"),
    "statuspage": ProbeDefaults(60.0, None, "status page JSON"),
}

# Clay publishes no rate-limit numbers (vendor-facts.md): the api probe's default
# interval is conservative (5 min) and the budget is checked only when the config
# sets rate_limits_per_minute.api.
CLAY = VendorKind(
    name="clay",
    default_api_url="https://api.clay.com/public/v0",
    default_statuspage_url="https://status.clay.com",
    default_revision=None,
    identity_probe="api",
    account_probes=("api",),
    probe_defaults=_API_PROBE_DEFAULTS,
    key_problem=_opaque_key_problem,
    # 402: the workspace's credits or actions are exhausted; retrying will not help.
    status_reasons={402: "credits_exhausted"},
    default_auth_header="clay-api-key",
)

# Any vendor that is a status page plus an authenticated GET (Shopify, Twilio, ...).
GENERIC = VendorKind(
    name="generic",
    default_api_url="",
    default_statuspage_url=None,
    default_revision=None,
    identity_probe="api",
    account_probes=("api",),
    probe_defaults=_API_PROBE_DEFAULTS,
    key_problem=_opaque_key_problem,
    requires_api_url=True,
)

KINDS: dict[str, VendorKind] = {k.name: k for k in (KLAVIYO, CLAY, GENERIC)}
