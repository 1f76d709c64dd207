"""Immediate actions per error type seen, with what the config tells us about the key."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import VendorConfig


@dataclass(frozen=True)
class ActionGroup:
    title: str
    kinds: frozenset[str]
    steps: tuple[str, ...]


GROUPS: tuple[ActionGroup, ...] = (
    ActionGroup(
        "401/403: authentication or scope",
        frozenset({"auth", "forbidden"}),
        (
            "Check that the key the integration reads is the current one: it may have been "
            "revoked or rotated in the vendor's dashboard (Settings > API keys).",
            "A 403 permission_denied means a missing scope: the probes need accounts:read "
            "and profiles:read; grant them on the key (or issue a new key with them).",
            "Replace the key where it is stored (secret manager, Kubernetes Secret), then "
            "restart what reads it; run `saas-exporter preflight` before and after.",
        ),
    ),
    ActionGroup(
        "Account mismatch",
        frozenset({"account_mismatch"}),
        (
            "The key answers for another account: a key from another environment "
            "(staging in production?) or another customer is mounted.",
            "Compare saas_account_info with saas_account_expected_info, then mount the "
            "right key and restart.",
        ),
    ),
    ActionGroup(
        "429: rate limited",
        frozenset({"throttled"}),
        (
            "The account's budget is spent; every private-key integration of the account "
            "shares it. Find the heaviest caller: sum by (endpoint) "
            "(rate(saas_api_requests_total[5m])).",
            "Queue requests and honour Retry-After; pause batch jobs and backfills.",
            "If steady traffic needs more, ask the vendor for a higher limit.",
        ),
    ),
    ActionGroup(
        "5xx: vendor server errors",
        frozenset({"server_error"}),
        (
            "Enable graceful degradation (queue or skip vendor calls) so users are not blocked.",
            "Retry with exponential backoff only; no retry storms.",
            "Watch the vendor's status page; tell users if a feature is degraded.",
        ),
    ),
    ActionGroup(
        "Cloudflare challenge",
        frozenset({"cloudflare_challenge"}),
        (
            "The vendor's edge answers with a bot challenge, not the API: rotating the key "
            "will not help.",
            "Check the egress IP and proxy of the integration (a new NAT or proxy IP is "
            "often flagged); contact vendor support with the time and egress IP.",
        ),
    ),
    ActionGroup(
        "Timeouts and connection errors",
        frozenset({"timeout", "connection", "tls"}),
        (
            "Check DNS, the egress proxy, firewall rules and TLS inspection between us and "
            "the vendor; compare with the status page.",
            "Check the pods: restarts, memory, CPU throttling, network policies.",
        ),
    ),
    ActionGroup(
        "Unexpected answers",
        frozenset({"client_error", "invalid_response"}),
        (
            "The API answers in a way the integration does not expect: check the revision "
            "header (deprecated or retired?) and recent changes to request code.",
        ),
    ),
)


def key_sources(vendor: VendorConfig, accounts: set[str]) -> list[str]:
    """Where each affected account's key comes from (never the key itself)."""
    return [
        f"{vendor.name}/{account.name} reads its key from {account.key_source}"
        for account in vendor.accounts
        if account.name in accounts
    ]


def actions_for(kinds: tuple[str, ...] | list[str]) -> list[ActionGroup]:
    seen = set(kinds)
    return [group for group in GROUPS if group.kinds & seen]
