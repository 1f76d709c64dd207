"""Generated promtool tests: no silent failure mode.

For every vendor of the table, every probe it runs and every failure reason the catalog
says that probe can produce: a world where the probe keeps failing with that reason,
and a check that some alert with a priority fires for the vendor. A reason added to the
catalog that no alert reads fails here (promtool names the reason).
"""

from __future__ import annotations

from typing import Any

from saas_exporter.catalog import STATUSPAGE_PROBE

from . import alerting, promtool_tests
from .spec import Table

COVERAGE_PATH = "promtool-tests/generated-reasons.yaml"
# Long enough for every alert on a failing probe (the longest such `for` is 10 minutes).
CHECK_MINUTE = 11


def cases(table: Table) -> list[tuple[str, str, str]]:
    """(vendor, probe, reason) for every reason each vendor's probes can produce."""
    found = []
    for vendor in table.vendors:
        kind = table.catalog.kind(vendor.kind)
        for probe in vendor.probes:
            found += [(vendor.name, probe, reason) for reason in kind.probes[probe].reasons]
    return found


def _account(probe: str, reason: str) -> str:
    """Each account-probe case fails on an account of its own, so one world per vendor
    holds them all; the status page has one target per vendor (account "")."""
    return "" if probe == STATUSPAGE_PROBE else f"{probe}-{reason}"


def _series(vendor: str, probe: str, reason: str) -> list[dict[str, str]]:
    labels = f'vendor="{vendor}",account="{_account(probe, reason)}",probe="{probe}"'
    return [
        {
            "series": f'saas_probe_failing{{{labels},reason="{reason}"}}',
            "values": f"1x{CHECK_MINUTE}",
        },
        {"series": f"saas_probe_success{{{labels}}}", "values": f"0x{CHECK_MINUTE}"},
    ]


def _check(table: Table, vendor: str, probe: str, reason: str) -> dict[str, Any]:
    """1 when some alert with a priority fires for the case's vendor and account; the
    labels name the case, so promtool's failure says which reason nothing reads."""
    priorities = "|".join(table.priorities)
    account = _account(probe, reason)
    firing = (
        f'ALERTS{{alertstate="firing",vendor="{vendor}",account="{account}",'
        f'priority=~"{priorities}"}}'
    )
    named = f"clamp_max(count({firing}), 1)"
    for label, value in (("vendor", vendor), ("probe", probe), ("reason", reason)):
        named = f'label_replace({named}, "{label}", "{value}", "", "")'
    return {
        "expr": named,
        "eval_time": f"{CHECK_MINUTE}m",
        "exp_samples": [
            {"labels": f'{{probe="{probe}",reason="{reason}",vendor="{vendor}"}}', "value": 1}
        ],
    }


def _world(table: Table, found: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [series for case in found for series in _series(*case)],
        "promql_expr_test": [_check(table, *case) for case in found],
    }


def render(table: Table) -> dict[str, dict[str, Any]]:
    """One world per vendor for its account probes, one per status-page reason."""
    found = cases(table)
    worlds = [
        _world(table, [c for c in found if c[0] == vendor.name and c[1] != STATUSPAGE_PROBE])
        for vendor in table.vendors
    ]
    worlds += [_world(table, [c]) for c in found if c[1] == STATUSPAGE_PROBE]
    groups = [group.name for group in table.groups]
    return {
        COVERAGE_PATH: {
            "rule_files": [f"../{alerting.rule_file_path(name)}" for name in groups],
            "evaluation_interval": promtool_tests.evaluation_interval(table),
            "tests": worlds,
        }
    }
