"""The drill's maintenance scenario: an announced window silences the vendor-caused alerts,
and a revoked key during the same window still pages.

1. The vendor announces a maintenance of its API (the simulator's POST /-/maintenances);
   the drill waits until Prometheus sees its API component under maintenance, then runs
   `saas-exporter silences sync` (the library it is made of) against the drill's
   Alertmanager: one silence.
2. The first faults (every account failing): their alerts fire in Prometheus and reach
   Alertmanager, where the drill waits until each `silenced` alert is suppressed by that
   silence. No notification may go out.
3. The `then` fault on the same vendor (a revoked key): the expected pages arrive.
4. Heal (inside the window: the pages resolve with the cause they fired with), then
   cancel the maintenance and sync again (the silence expires); any other notification
   since step 2 fails the scenario.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

import httpx

from saas_exporter.silences.alertmanager import Alertmanager
from saas_exporter.silences.sync import SyncResult, read_feeds, sync

from ..stack import alertmanager_api
from ..stack.polling import poll
from .notifications import Notification
from .results import Detection, ScenarioResult, expected_keys
from .scenarios import Expected, Scenario

if TYPE_CHECKING:
    from .run import Drill

# The drill's silence margin: wide enough for the scaled `for`s, short to read.
MARGIN_SECONDS = 60.0


def _sync(drill: Drill, vendor: str) -> SyncResult:
    vendors = [v for v in drill.stack.exporter.config.vendors if v.name == vendor]
    with httpx.Client() as client:
        alertmanager = Alertmanager(drill.alertmanager.url, client)
        return sync(read_feeds(vendors), alertmanager, time.time(), MARGIN_SECONDS)


def _synced(drill: Drill, scenario: Scenario, action: str) -> str:
    """Sync, and check that it did `action` to the one silence; its silence id."""
    from .run import DrillFailure

    assert scenario.announced is not None
    result = _sync(drill, scenario.announced.vendor)
    done = [a for a in result.applied if a.change.action == action and not a.error]
    if result.failed or len(done) != 1:
        raise DrillFailure(
            f"scenario {scenario.name}: silences sync was to {action} one silence: "
            f"{result.counts}, {result.error or [a.error for a in result.applied if a.error]}"
        )
    return done[0].silence_id


def announce(drill: Drill, scenario: Scenario, cancelled: bool = False) -> None:
    assert scenario.announced is not None
    window = {**scenario.announced.window, "cancelled": cancelled}
    drill.simulator.set_maintenances(scenario.announced.vendor, {"maintenances": [window]})


def withdraw(drill: Drill, scenario: Scenario) -> None:
    """The maintenance cancelled and its silence expired (also after a failure)."""
    if scenario.announced is None:
        return
    announce(drill, scenario, cancelled=True)
    _sync(drill, scenario.announced.vendor)


def _under_maintenance(drill: Drill, scenario: Scenario) -> bool:
    assert scenario.announced is not None
    components = " or ".join(
        f'saas_statuspage_component_status{{vendor="{scenario.announced.vendor}", '
        f'component="{name}", status="under_maintenance"}} == 1'
        for name in scenario.announced.window["components"]
    )
    return bool(drill.prometheus.query(components))


def _suppressed(drill: Drill, expected: Expected, silence_id: str) -> bool:
    alerts = alertmanager_api.alerts(
        drill.alertmanager.url, alertname=expected.alertname, vendor=expected.vendor
    )
    return any(
        a["labels"].get("account", "") == expected.account
        and a["status"]["state"] == "suppressed"
        and silence_id in a["status"]["silencedBy"]
        for a in alerts
    )


def run_maintenance_scenario(drill: Drill, scenario: Scenario) -> ScenarioResult:
    from .run import DrillFailure

    assert scenario.announced is not None
    result = ScenarioResult(scenario)
    want = expected_keys(scenario)
    deadline = drill.wait_slack + max(
        drill.floor(e.alertname, e.vendor) for e in scenario.expected + scenario.silenced
    )

    announce(drill, scenario)
    poll(
        lambda: _under_maintenance(drill, scenario),
        deadline,
        "the announced maintenance on the status page, in Prometheus",
    )
    silence_id = _synced(drill, scenario, "create")
    drill.say(f"  silences sync: created silence {silence_id}")

    fault_at = time.time()
    for fault in scenario.faults:
        drill.break_fault(fault)
    for expected in scenario.silenced:
        poll(
            functools.partial(_suppressed, drill, expected, silence_id),
            deadline,
            f"{expected.alertname} to fire and be silenced",
            describe=lambda: drill.state(fault_at),
        )
        drill.say(
            f"  ok  {expected.vendor} {expected.alertname} {expected.priority} "
            f"cause={expected.cause}: fired and silenced {time.time() - fault_at:.1f}s "
            "after the fault, no notification"
        )

    revoked_at = time.time()
    for fault in scenario.then:
        drill.break_fault(fault)

    def describe() -> str:
        return f"want {sorted(want)}; {drill.state(fault_at)}"

    firing_notes = drill.wait_for_notifications(
        "firing", revoked_at, want, deadline, f"{scenario.name} notifications", describe
    )
    problems = drill.check_texts(firing_notes)

    # The vendor heals inside the window: the pages resolve with the cause they fired
    # with. Only then the maintenance is cancelled and its silence expires.
    recover_at = time.time()
    for fault in scenario.all_faults:
        drill.simulator.set_scenario(fault.vendor, "healthy")

    resolved_notes = drill.wait_for_notifications(
        "resolved", recover_at, want, deadline, f"{scenario.name} to resolve", describe
    )
    announce(drill, scenario, cancelled=True)
    expired = _synced(drill, scenario, "expire")
    drill.say(f"  silences sync: the maintenance cancelled, silence {expired} expired")
    drill.quiet()
    everything = drill.notifications(fault_at)
    result.firing = [n for n in everything if n.status == "firing"]
    result.resolved = [n for n in everything if n.status == "resolved"]
    unexpected = (result.firing_keys() | result.resolved_keys()) - want
    if unexpected:
        problems.append(
            f"unexpected notifications (the silence let them out): {sorted(unexpected)}"
        )
    if problems:
        raise DrillFailure(f"scenario {scenario.name}:\n  " + "\n  ".join(problems))
    result.detections += [
        _detection(drill, scenario, e, firing_notes, resolved_notes, revoked_at, recover_at)
        for e in scenario.expected
    ]
    return result


def _detection(
    drill: Drill,
    scenario: Scenario,
    expected: Expected,
    firing_notes: list[Notification],
    resolved_notes: list[Notification],
    broken: float,
    recover_at: float,
) -> Detection:
    rule = drill.rules.rule(expected.alertname, expected.vendor)

    def mine(notes: list[Notification]) -> list[Notification]:
        return [
            n for n in notes if (n.vendor, n.alertname) == (expected.vendor, expected.alertname)
        ]

    firing = mine(firing_notes)
    return Detection(
        scenario.name,
        expected,
        rule.for_seconds,
        rule.evaluation_interval or 0.0,
        drill.floor(expected.alertname, expected.vendor),
        min(n.received_at for n in firing) - broken,
        max(min(n.received_at for n in firing if n.receiver == r) for r in expected.receivers)
        - broken,
        max(n.received_at for n in mine(resolved_notes)) - recover_at,
    )
