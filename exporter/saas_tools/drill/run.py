"""The drill: every piece of the alerting pipeline, real, on loopback.

simulator -> exporter (probes every second) -> Prometheus (the pack's rules, `for`
scaled down, 1 s scrape and evaluation) -> Alertmanager (the shipped config and
templates, 1 s grouping, receivers pointed at the capture server) -> captured Slack,
PagerDuty and ticket payloads.

For each scenario the drill breaks the simulated vendor, waits (bounded) for the
expected notifications at the expected receivers, checks their priority, cause and
rendered text, then heals the vendor and waits for every one to resolve. Any
notification nobody expected fails the scenario.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saas_exporter.config import ExporterConfig, load_config_data
from saas_exporter.demo import demo_config_data, demo_env
from saas_exporter.durations import format_duration
from saas_exporter.simulator import SimulatorServer

from ..checkout import Checkout
from ..stack import alertmanager_api
from ..stack.capture import CaptureServer
from ..stack.configs import GroupTimers
from ..stack.polling import DeadlineExceeded, poll
from ..stack.processes import Server
from ..stack.prometheus_api import PrometheusAPI
from ..stack.stack import Alerting, Stack, StackSpec
from .expectations import firing_slack_problems
from .maintenance import run_maintenance_scenario, withdraw
from .notifications import Notification, parse
from .results import Detection, Key, ScenarioResult, Timings, expected_keys
from .rules import DrillRules, drill_clock
from .scenarios import ACCOUNTS, SCENARIOS, VENDORS, Fault, Scenario


class DrillFailure(AssertionError):
    pass


# The drill's accounts beyond the demo's `main`: name -> the id its simulated key answers
# for (the simulator scopes a fault to the ids it hits).
EXTRA_ACCOUNT_IDS = {"eu": "DRILEU", "us": "DRILUS"}


def drill_config_data(simulator_url: str, timings: Timings) -> dict[str, Any]:
    """Klaviyo and Clay together, every probe every interval (Clay's api probe runs every
    120 s in production), Klaviyo with the drill's extra accounts; the demo config raises
    the simulator's limits for the budget check."""
    interval = format_duration(timings.probe_interval)
    data = demo_config_data(
        simulator_url,
        {p: interval for p in ("accounts", "profiles", "api", "statuspage")},
        vendors=VENDORS,
    )
    for vendor in data["vendors"]:
        vendor["timeout"] = format_duration(timings.probe_interval / 2)
        names = ACCOUNTS[vendor["name"]]
        (main,) = vendor["accounts"]
        vendor["accounts"] = [
            main
            if name == "main"
            else {
                "name": name,
                "api_key_env": f"DRILL_{vendor['name'].upper()}_{name.upper()}_KEY",
                "expected_account_id": EXTRA_ACCOUNT_IDS[name],
            }
            for name in names
        ]
    return data


def drill_env() -> dict[str, str]:
    keys = {
        f"DRILL_KLAVIYO_{name.upper()}_KEY": f"pk_sim_{account_id}"
        for name, account_id in EXTRA_ACCOUNT_IDS.items()
    }
    return {**demo_env(), **keys}


def account_ids(timings: Timings) -> dict[tuple[str, str], str]:
    """(vendor, account name) -> the id its key answers for in the simulator."""
    data = drill_config_data("http://simulator.invalid", timings)
    return {
        (vendor["name"], account["name"]): account["expected_account_id"]
        for vendor in data["vendors"]
        for account in vendor["accounts"]
    }


def drill_spec(checkout: Checkout, timings: Timings) -> StackSpec:
    def exporter_config(simulator_url: str, workdir: Path) -> ExporterConfig:
        return load_config_data(drill_config_data(simulator_url, timings), drill_env())

    return StackSpec(
        checkout=checkout,
        exporter_config=exporter_config,
        rules=drill_clock(timings.for_scale, format_duration(timings.evaluation_interval)),
        scrape_interval=format_duration(timings.scrape_interval),
        alerting=Alerting(
            GroupTimers(group_wait=format_duration(timings.group_wait)),
            # The drill runs any day at any hour: business hours always apply here
            # (tests check that P4 waits outside them).
            always_business_hours=True,
        ),
    )


class Drill:
    """The test stack with Alertmanager and the capture server, Klaviyo and Clay probed
    every `timings.probe_interval`; `with Drill(checkout) as drill:` starts it and
    waits until nothing is pending or firing."""

    def __init__(
        self,
        checkout: Checkout,
        workdir: Path | None = None,
        timings: Timings | None = None,
        say: Callable[[str], None] = print,
        wait_slack: float = 30.0,
    ):
        self.timings = timings = timings or Timings()
        self.say = say
        self.wait_slack = wait_slack
        self.stack = Stack(drill_spec(checkout, timings), workdir)
        self.account_ids = account_ids(timings)

    # --- set-up and tear-down --------------------------------------------------------
    def __enter__(self) -> Drill:
        self.stack.start()
        try:
            self._settle()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stack.stop()

    @property
    def simulator(self) -> SimulatorServer:
        return self.stack.simulator

    @property
    def prometheus(self) -> PrometheusAPI:
        return self.stack.prometheus

    @property
    def alertmanager(self) -> Server:
        assert self.stack.alertmanager is not None
        return self.stack.alertmanager

    @property
    def capture(self) -> CaptureServer:
        assert self.stack.capture is not None
        return self.stack.capture

    def _settle(self) -> None:
        # Each rule's evaluation interval as the running Prometheus reports it.
        self.rules = DrillRules.of(self.stack.rules).evaluated_at(self.prometheus.rule_groups())
        self.say(f"drill: {self.stack.urls()}")
        if self.rules.left_out:
            self.say(
                "drill: rules on in-app series left out (no application runs in the drill): "
                + ", ".join(self.rules.left_out)
            )
        probes = len(self.stack.exporter.targets)
        poll(
            lambda: self.prometheus.value("count(saas_probe_success == 1)") == probes,
            30,
            f"Prometheus to scrape {probes} successful probes",
        )
        # Prometheus evaluates the rules before its first scrape (absent(up) fires at
        # the scaled `for`): whatever fired then must resolve before the first scenario.
        self.quiet()
        for note in self.notifications(0.0):
            if note.status == "firing":
                self.say(
                    f"drill: start-up: {note.alertname} fired at {note.receiver} before the "
                    "first scrape, and resolved"
                )

    # --- reading the pipeline --------------------------------------------------------
    def notifications(self, since: float) -> list[Notification]:
        return [parse(d) for d in self.capture.deliveries(since)]

    def wait_for_notifications(
        self,
        status: str,
        since: float,
        want: set[Key],
        deadline: float,
        what: str,
        describe: Callable[[], str],
    ) -> list[Notification]:
        """The ``status`` notifications since ``since``, once they cover ``want``."""

        def covered() -> list[Notification] | None:
            found = [n for n in self.notifications(since) if n.status == status]
            return found if want <= {n.key for n in found} else None

        return poll(covered, deadline, what, describe=describe)

    def _settled(self) -> bool:
        """Every notification that fired has been followed by its resolution."""
        open_: dict[tuple[str, str, str, str], bool] = {}
        for note in sorted(self.notifications(0.0), key=lambda n: n.received_at):
            key = (note.vendor, note.alertname, note.receiver, note.account)
            open_[key] = note.status == "firing"
        return not any(open_.values())

    def quiet(self) -> None:
        def quiet() -> bool:
            return (
                not self.prometheus.alerts()
                and not alertmanager_api.alerts(self.alertmanager.url)
                and self._settled()
            )

        poll(quiet, self.wait_slack, "no pending or firing alert", describe=self.state)

    def state(self, since: float = 0.0) -> str:
        prom = sorted(
            f"{a['labels']['alertname']}{{vendor={a['labels'].get('vendor', '')!r},"
            f"probe={a['labels'].get('probe', '')!r}}}:"
            f"{a['state']}:cause={a['labels'].get('cause')}"
            for a in self.prometheus.alerts()
        )
        names = {a["fingerprint"]: a["labels"]["alertname"] for a in self._am_alerts()}
        am = sorted(
            f"{a['labels']['alertname']}{{vendor={a['labels'].get('vendor', '')!r}}}:"
            f"{a['status']['state']}"
            + "".join(f" inhibited by {names.get(f, f)}" for f in a["status"]["inhibitedBy"])
            for a in self._am_alerts()
        )
        notes = sorted({(n.status, *n.key) for n in self.notifications(since)})
        return f"prometheus alerts {prom}; alertmanager {am}; notifications {notes}"

    def _am_alerts(self) -> list[dict]:
        return alertmanager_api.alerts(self.alertmanager.url)

    def heal(self, scenario: Scenario) -> None:
        for fault in scenario.all_faults:
            self.simulator.set_scenario(fault.vendor, "healthy")
        withdraw(self, scenario)

    # --- one scenario ----------------------------------------------------------------
    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        """Break, check, heal, check. On a failure the vendor is healed and the
        pipeline left quiet before the error propagates, so the next scenario can run."""
        self.quiet()
        try:
            return self._run_scenario(scenario)
        except (DrillFailure, DeadlineExceeded) as err:
            self.heal(scenario)
            try:
                self.quiet()
            except DeadlineExceeded as stuck:
                raise DrillFailure(f"scenario {scenario.name}: {err}\n  then: {stuck}") from err
            if isinstance(err, DrillFailure):
                raise
            raise DrillFailure(f"scenario {scenario.name}: {err}") from err

    def _run_scenario(self, scenario: Scenario) -> ScenarioResult:
        if scenario.announced is not None:
            return run_maintenance_scenario(self, scenario)
        result = ScenarioResult(scenario)
        want = expected_keys(scenario)
        deadline = max(self.floor(e.alertname, e.vendor) for e in scenario.expected)
        deadline += self.wait_slack

        stages = [scenario.faults, scenario.then] if scenario.then else [scenario.faults]
        # The moment each stage's faults were applied; stage 0's is the scenario's start.
        broken_at: list[float] = []

        def describe() -> str:
            return f"want {sorted(want)}; {self.state(broken_at[0])}"

        for stage, faults in enumerate(stages):
            broken_at.append(time.time())
            for fault in faults:
                self.break_fault(fault)
            # Until the last stage, wait for this stage's vendors' notifications only.
            stage_want = {k for k in want if scenario.stage_of(k[0]) <= stage}
            what = f"{scenario.name} notifications" + (f" (stage {stage + 1})" if stage else "")
            firing_notes = self.wait_for_notifications(
                "firing", broken_at[0], stage_want, deadline, what, describe
            )
        fault_at = broken_at[0]
        problems = self.check_texts(firing_notes)

        recover_at = time.time()
        self.heal(scenario)

        resolved_notes = self.wait_for_notifications(
            "resolved", recover_at, want, deadline, f"{scenario.name} to resolve", describe
        )
        self.quiet()
        everything = self.notifications(fault_at)
        result.firing = [n for n in everything if n.status == "firing"]
        result.resolved = [n for n in everything if n.status == "resolved"]
        unexpected = (result.firing_keys() | result.resolved_keys()) - want
        if unexpected:
            problems.append(f"unexpected notifications: {sorted(unexpected)}")
        if problems:
            raise DrillFailure(f"scenario {scenario.name}:\n  " + "\n  ".join(problems))

        for e in scenario.expected:
            rule = self.rules.rule(e.alertname, e.vendor)
            mine = [n for n in firing_notes if (n.vendor, n.alertname) == (e.vendor, e.alertname)]
            back = [n for n in resolved_notes if (n.vendor, n.alertname) == (e.vendor, e.alertname)]
            broken = broken_at[scenario.stage_of(e.vendor)]
            result.detections.append(
                Detection(
                    scenario.name,
                    e,
                    rule.for_seconds,
                    rule.evaluation_interval or 0.0,
                    self.floor(e.alertname, e.vendor),
                    min(n.received_at for n in mine) - broken,
                    max(min(n.received_at for n in mine if n.receiver == r) for r in e.receivers)
                    - broken,
                    max(n.received_at for n in back) - recover_at,
                )
            )
        return result

    def floor(self, alertname: str, vendor: str) -> float:
        rule = self.rules.rule(alertname, vendor)
        assert rule.evaluation_interval is not None  # read in _settle
        return self.timings.floor(rule.for_seconds, rule.evaluation_interval)

    def break_fault(self, fault: Fault) -> None:
        """The fault on the accounts it names, the status page as it says."""
        self.simulator.set_scenario(
            fault.vendor,
            fault.simulator,
            page=fault.page,
            accounts=[self.account_ids[(fault.vendor, name)] for name in fault.accounts],
            **fault.params,
        )

    def check_texts(self, notes: list[Notification]) -> list[str]:
        problems = []
        for note in notes:
            if note.delivery.kind != "slack":
                continue
            group = alertmanager_api.alerts(
                self.alertmanager.url, alertname=note.alertname, vendor=note.vendor
            )
            group = [a for a in group if a["labels"].get("account", "") == note.account]
            rule = self.rules.rule(note.alertname, note.vendor)
            problems += [
                f"{note.alertname} at {note.receiver}: {p}"
                for p in firing_slack_problems(note, rule, group)
            ]
        return problems

    # --- the whole drill -------------------------------------------------------------
    def run(
        self, scenarios: tuple[Scenario, ...] = SCENARIOS
    ) -> tuple[list[ScenarioResult], list[DrillFailure]]:
        """Every scenario, in order; a failed one is reported and the drill goes on."""
        results: list[ScenarioResult] = []
        failures: list[DrillFailure] = []
        for scenario in scenarios:
            faults = ", ".join(str(f) for f in scenario.faults)
            if scenario.then:
                faults += ", then " + ", ".join(str(f) for f in scenario.then)
            self.say(f"drill: {scenario.name}: {scenario.what} (simulator: {faults})")
            started = time.monotonic()
            try:
                result = self.run_scenario(scenario)
            except DrillFailure as err:
                self.say(f"  FAILED {err}")
                failures.append(err)
                continue
            for d in result.detections:
                receivers = ", ".join(d.expected.receivers)
                self.say(
                    f"  ok  {d.expected.vendor} {d.expected.alertname} {d.expected.priority}"
                    f" cause={d.expected.cause}"
                    f" -> {receivers}: detected {d.detected_after:.1f}s (floor {d.floor:.1f}s),"
                    f" resolved {d.resolved_after:.1f}s after recovery"
                )
            self.say(f"  scenario took {time.monotonic() - started:.1f}s")
            results.append(result)
        self.quiet()
        self.say("drill: recovery: every vendor is healthy, nothing pending or firing")
        return results, failures
