"""Which vendor a request goes to, and that vendor's built-in route templates."""

from __future__ import annotations

from saas_inapp.instrument.klaviyo_routes import KLAVIYO_ROUTES

KLAVIYO = "klaviyo"
CLAY = "clay"

VENDOR_HOSTS: dict[str, str] = {
    "a.klaviyo.com": KLAVIYO,
    "api.clay.com": CLAY,
}

# Clay publishes no route list; these are the public API paths seen in use. Any
# other Clay path goes through the generic rule, which already treats Clay's
# prefixed ids (`tbl_0t3x...`, `function:t_0tk3...`) as ids.
CLAY_ROUTES: tuple[str, ...] = (
    "/public/v0/me",
    "/public/v0/routines",
    "/public/v0/routines/{id}/run",
    "/public/v0/routines/run/{id}/results",
    "/public/v0/search/query-mode",
    "/public/v0/search/query-mode/{id}/run",
)

BUILT_IN_ROUTES: dict[str, tuple[str, ...]] = {
    KLAVIYO: KLAVIYO_ROUTES,
    CLAY: CLAY_ROUTES,
}


def vendor_for_host(host: str) -> str:
    """The vendor name for a known API host, else the host itself (lower-cased)."""
    host = host.lower().rstrip(".")
    return VENDOR_HOSTS.get(host, host)
