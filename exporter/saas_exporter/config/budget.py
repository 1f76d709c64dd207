"""The budget rule: a probe may spend only a small share of an endpoint's steady limit,
because private-key probes share the production app's per-account budget."""

from __future__ import annotations

from collections.abc import Mapping

from ..catalog import VendorKind
from .model import ApiProbeConfig

# A probe may use at most this share of an endpoint's steady per-account limit.
MAX_BUDGET_SHARE = 0.10


def endpoint(kind: VendorKind, probe: str, api: ApiProbeConfig | None) -> str:
    request = kind.probes[probe].request
    return request.replace("{api.path}", api.path) if api is not None else request


def budget_problems(
    path: str,
    kind: VendorKind,
    intervals: Mapping[str, float],
    limits: Mapping[str, float],
    api: ApiProbeConfig | None,
) -> list[str]:
    problems = []
    for probe, interval in intervals.items():
        limit = limits.get(probe)
        if limit is None or interval <= 0:  # a zero interval is refused on its own
            continue
        per_minute = 60.0 / interval
        share = per_minute / limit
        if share > MAX_BUDGET_SHARE:
            floor = 60.0 / (limit * MAX_BUDGET_SHARE)
            problems.append(
                f"{path}.intervals.{probe}: every {interval:g}s is {per_minute:.2f} calls/min, "
                f"{share:.1%} of the {endpoint(kind, probe, api)} steady limit of "
                f"{limit:g}/min per account; probes share the production app's budget, so "
                f"more than {MAX_BUDGET_SHARE:.0%} is refused: use at least {floor:g}s"
            )
    return problems
