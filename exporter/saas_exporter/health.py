"""The /health contract: healthy | degraded | down per vendor, computed from the latest results.

It never calls the vendor; it reads what the probes last saw.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .catalog import CATALOG
from .config import ExporterConfig
from .state import Key, TargetState

_RANK = {"healthy": 0, "degraded": 1, "down": 2}
# A key the vendor refuses (401, 403, another account's key) fails every call that
# needs it, whichever probe saw it first: the account is down.
KEY_REJECTED = frozenset(CATALOG.reasons_of_class("key_rejected"))


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__) if statuses else "healthy"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def _failure(state: TargetState) -> str | None:
    """`<probe> probe <reason>: <error>` when the target's latest probe failed."""
    last = state.last
    if last is None or last.success:
        return None
    return f"{state.target.probe} probe {last.failure_reason}: {last.error}"


def _account_health(identity: TargetState, others: list[TargetState]) -> dict[str, Any]:
    """down: the identity probe fails (but for throttling), or any probe sees the key
    rejected; degraded: throttled, or another probe fails; else healthy."""
    result = identity.last
    entry: dict[str, Any] = {
        "status": "down",
        "latencyMs": None,
        "accountId": identity.identity.account_id if identity.identity else None,
        # When the identity probe last confirmed accountId: it stays while probes fail.
        "accountIdConfirmedAt": _iso(identity.identity_at),
        "error": None,
    }
    if result is None:
        entry["error"] = "no probe has completed yet"
        return entry
    entry["latencyMs"] = round(result.duration_seconds * 1000)
    if not result.success and result.failure_reason != "throttled":
        entry["error"] = f"{result.failure_reason}: {result.error}"
        return entry
    rejected = [o for o in others if o.last and o.last.failure_reason in KEY_REJECTED]
    if rejected:
        entry["error"] = _failure(rejected[0])
        return entry
    if not result.success:
        # A throttled key still works: the integration is degraded, not down.
        entry["status"] = "degraded"
        entry["error"] = f"{result.failure_reason}: {result.error}"
        return entry
    failing = [message for o in others if (message := _failure(o))]
    entry["status"] = "degraded" if failing else "healthy"
    entry["error"] = failing[0] if failing else None
    return entry


def _statuspage_summary(state: TargetState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    page, last = state.statuspage, state.last
    return {
        "reachable": bool(last and last.success),
        "indicator": page.indicator if page else None,
        "description": page.description if page else None,
        "incidents": [
            {"name": i.name, "impact": i.impact, "status": i.status, "url": i.url}
            for i in (page.incidents if page else ())
        ],
        "error": (last.error or None) if last and not last.success else None,
    }


def compute_health(
    config: ExporterConfig, states: dict[Key, TargetState], now: float
) -> tuple[int, dict[str, Any]]:
    services: dict[str, Any] = {}
    for vendor in config.vendors:
        identity_probe = vendor.kind_spec.identity_probe
        accounts: dict[str, Any] = {}
        for account in vendor.accounts:
            identity = states[(vendor.name, account.name, identity_probe)]
            others = [
                states[(vendor.name, account.name, p)]
                for p in vendor.kind_spec.account_probes
                if p != identity_probe
            ]
            accounts[account.name] = _account_health(identity, others)
        # A shard may own a vendor's status page and none of its accounts.
        first = next(iter(accounts.values()), {"accountId": None, "accountIdConfirmedAt": None})
        failing = [(n, a) for n, a in accounts.items() if a["status"] != "healthy"]
        error = None
        if failing:
            name, entry = failing[0]
            error = entry["error"] if len(accounts) == 1 else f"{name}: {entry['error']}"
        latencies = [a["latencyMs"] for a in accounts.values() if a["latencyMs"] is not None]
        services[vendor.name] = {
            "status": _worst([a["status"] for a in accounts.values()]),
            "latencyMs": max(latencies) if latencies else None,
            "accountId": first["accountId"],
            "accountIdConfirmedAt": first["accountIdConfirmedAt"],
            "error": error,
            "accounts": accounts,
            "statusPage": _statuspage_summary(states.get((vendor.name, "", "statuspage"))),
        }
    status = _worst([s["status"] for s in services.values()])
    body = {
        "status": status,
        "services": services,
        "timestamp": _iso(now),
    }
    return (200 if status == "healthy" else 503), body
