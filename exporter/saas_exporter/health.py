"""The /health contract: healthy | degraded | down per vendor, computed from the latest results.

It never calls the vendor; it reads what the probes last saw.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .config import ExporterConfig
from .state import Key, TargetState

_RANK = {"healthy": 0, "degraded": 1, "down": 2}


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__) if statuses else "healthy"


def iso_utc(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def _account_health(identity: TargetState, others: list[TargetState]) -> dict[str, Any]:
    result = identity.last
    confirmed = identity.last_success_at
    entry: dict[str, Any] = {
        "status": "down",
        "latencyMs": None,
        "accountId": identity.identity.account_id if identity.identity else None,
        "error": None,
        # When the identity probe last succeeded: during an outage accountId is the last
        # one seen, and this says how old it is.
        "lastSuccess": iso_utc(confirmed) if confirmed is not None else None,
    }
    if result is None:
        entry["error"] = "no probe has completed yet"
        return entry
    entry["latencyMs"] = round(result.duration_seconds * 1000)
    if not result.success:
        # A throttled key still works: the integration is degraded, not down.
        entry["status"] = "degraded" if result.failure_reason == "throttled" else "down"
        entry["error"] = f"{result.failure_reason}: {result.error}"
        return entry
    entry["status"] = "healthy"
    for other in others:
        if other.last is not None and not other.last.success:
            entry["status"] = "degraded"
            entry["error"] = (
                f"{other.target.probe} probe {other.last.failure_reason}: {other.last.error}"
            )
            break
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
        first = next(iter(accounts.values()))
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
            "error": error,
            "accounts": accounts,
            "statusPage": _statuspage_summary(states.get((vendor.name, "", "statuspage"))),
        }
    status = _worst([s["status"] for s in services.values()])
    body = {
        "status": status,
        "services": services,
        "timestamp": iso_utc(now),
    }
    return (200 if status == "healthy" else 503), body
