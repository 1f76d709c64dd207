"""What one probe run found out, and the closed set of failure reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import CATALOG
from ..ratelimit_headers import RateLimitInfo

# The closed set of failure reasons, in the catalog's order.
FAILURE_REASONS: tuple[str, ...] = tuple(CATALOG.failure_reasons)

INDICATORS = ("none", "minor", "major", "critical", "maintenance")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
IMPACTS = ("none", "minor", "major", "critical")


@dataclass(frozen=True)
class AccountIdentity:
    account_id: str
    test_account: bool | None


@dataclass(frozen=True)
class Component:
    name: str
    group: str
    status: str


@dataclass(frozen=True)
class Incident:
    id: str
    name: str
    impact: str
    status: str
    url: str
    started_at: str = ""
    updates: tuple[tuple[str, str, str], ...] = ()  # (time, status, body)


# Statuses of a maintenance in progress (Atlassian; a Rootly list uses the same words).
ACTIVE_MAINTENANCE = ("in_progress", "verifying")


@dataclass(frozen=True)
class Maintenance:
    id: str
    name: str
    status: str  # scheduled | in_progress | verifying
    # Unix times of the announced window; None when the page gives none.
    starts_at: float | None
    ends_at: float | None
    components: tuple[str, ...]  # affected components, by name; () when none are listed
    url: str  # the vendor's notice

    @property
    def in_progress(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE


@dataclass(frozen=True)
class MaintenanceFeed:
    """What a page announces. `error` non-empty: the feed could not be read, and
    `maintenances` are the last ones read (the store keeps them)."""

    maintenances: tuple[Maintenance, ...] = ()
    dropped: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class StatusPageSnapshot:
    indicator: str
    description: str
    components: tuple[Component, ...] = ()
    incidents: tuple[Incident, ...] = ()
    active_maintenances: int = 0
    page_format: str = "atlassian"
    # Announced maintenances; None when the page has no maintenance feed.
    maintenances: MaintenanceFeed | None = None
    # Items past global.limits.max_components / max_incidents, not kept.
    dropped_components: int = 0
    dropped_incidents: int = 0


@dataclass(frozen=True)
class ProbeResult:
    success: bool
    duration_seconds: float
    finished_at: float
    http_status: int = 0
    failure_reason: str | None = None
    error: str = ""
    ratelimit: RateLimitInfo | None = None
    retry_after_seconds: float | None = None
    invalid_headers: tuple[str, ...] = field(default=())
    account: AccountIdentity | None = None
    statuspage: StatusPageSnapshot | None = None
