"""The catalog's typed model: what one vendor kind, probe, reason or action is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

STATUSPAGE_PROBE = "statuspage"


@dataclass(frozen=True)
class FailureReason:
    name: str
    reason_class: str  # key_rejected, throttled, server_side, no_answer, ...
    meaning: str


@dataclass(frozen=True)
class StatusPageFormat:
    name: str
    display_name: str
    summary: str
    incidents: str | None
    maintenances_upcoming: str | None = None
    maintenances_active: str | None = None


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    protocol: str
    request: str
    scope: str | None
    # The endpoint's documented limits per account; None when unpublished or when the
    # endpoint shares no budget with the production app (the status page).
    steady_limit_per_minute: float | None
    burst_limit_per_second: float | None
    interval_seconds: float
    latency_percentile: bool
    reasons: tuple[str, ...]
    per_account: bool = True

    @property
    def path(self) -> str:
        """The request's path ("GET /api/profiles/" -> "/api/profiles/")."""
        return self.request.partition(" ")[2]


@dataclass(frozen=True)
class Cause:
    name: str
    title: str
    runbook: str  # with {vendor}
    postmortem: str


@dataclass(frozen=True)
class TriageBranch:
    name: str
    cause: str | None
    exit_code: int
    verdict: str
    next_step: str
    action: str | None = None  # the action the branch itself calls for (actions.<key>)


@dataclass(frozen=True)
class Action:
    key: str
    title: str
    branch: str
    reasons: tuple[str, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True)
class VendorKind:
    name: str
    display_name: str
    default_api_url: str | None
    default_statuspage_url: str | None
    statuspage_format: str
    # The status-page components that are the API the integration uses (by name); empty:
    # the page's indicator stands for the API (a Rootly page lists no components).
    statuspage_api_components: tuple[str, ...]
    default_revision: str | None
    key_shape: str
    key_problem: Callable[[str], str | None] = field(repr=False, compare=False)
    default_auth_header: str | None
    identity_probe: str
    # Per-account probes, then the status-page probe (when the kind has a page default
    # or the config gives one).
    probes: Mapping[str, ProbeSpec]
    status_reasons: Mapping[int, str]
    action_steps: Mapping[str, tuple[str, ...]]
    # The request header that carries the API revision; None: the API has no revisions.
    revision_header: str | None = None

    @property
    def account_probes(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.probes.items() if spec.per_account)

    @property
    def requires_api_url(self) -> bool:
        return self.default_api_url is None

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every failure reason any of this kind's probes can produce."""
        seen: dict[str, None] = {}
        for spec in self.probes.values():
            seen.update(dict.fromkeys(spec.reasons))
        return tuple(seen)


@dataclass(frozen=True)
class Catalog:
    failure_reasons: Mapping[str, FailureReason]
    statuspage_formats: Mapping[str, StatusPageFormat]
    causes: Mapping[str, Cause]
    triage_branches: Mapping[str, TriageBranch]
    triage_urgency: tuple[str, ...]
    actions: Mapping[str, Action]
    kinds: Mapping[str, VendorKind]

    def kind(self, name: str) -> VendorKind:
        return self.kinds[name]

    def reasons_of_class(self, *classes: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.failure_reasons.values() if r.reason_class in classes)

    def action_steps(self, key: str, kind: str | None) -> tuple[str, ...]:
        """An action's steps for a kind: the kind's own when it has them."""
        own = self.kinds[kind].action_steps.get(key) if kind else None
        return own or self.actions[key].steps

    def actions_for_reasons(self, reasons: tuple[str, ...] | list[str]) -> list[Action]:
        seen = set(reasons)
        return [action for action in self.actions.values() if seen & set(action.reasons)]

    def probe_names(self, *, per_account: bool | None = None) -> tuple[str, ...]:
        """Every probe name across kinds (in catalog order), optionally by kind of probe."""
        names: dict[str, None] = {}
        for kind in self.kinds.values():
            for name, spec in kind.probes.items():
                if per_account is None or spec.per_account == per_account:
                    names[name] = None
        return tuple(names)
