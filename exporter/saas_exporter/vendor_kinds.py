"""What the exporter knows about each kind of vendor: endpoints, limits, key shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


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

KINDS: dict[str, VendorKind] = {KLAVIYO.name: KLAVIYO}
