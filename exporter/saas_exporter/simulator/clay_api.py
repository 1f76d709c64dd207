"""Fake Clay public API (base ``/clay/public/v0``): ``clay-api-key`` header, X-RateLimit-*
headers, and 402 when the workspace's credits are exhausted. Any GET path answers:
Clay documents no health endpoint, so the probed path is the config's choice."""

from __future__ import annotations

from .plain_api import PlainApi, error
from .responses import Response
from .scenarios import ScenarioState

PREFIX = "/clay/public/v0"
SIM_KEY_PREFIX = "clay_sim_"


def _credits_exhausted(_scenario: ScenarioState) -> Response:
    return error(
        402,
        "Your workspace has run out of credits. Upgrade your plan or buy more credits to continue.",
    )


def _document(workspace_id: str, base_url: str) -> dict:
    return {
        "workspace": {"id": workspace_id, "name": "Simulated workspace"},
        "links": {"self": f"{base_url}{PREFIX}"},
    }


CLAY = PlainApi(
    vendor="clay",
    auth_header="clay-api-key",
    auth_prefix="",
    key_prefix=SIM_KEY_PREFIX,
    default_account_id="WS0001",
    ratelimit_names=("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
    limit_per_minute=600,
    document=_document,
    extra_failures={"credits_exhausted": _credits_exhausted},
)
