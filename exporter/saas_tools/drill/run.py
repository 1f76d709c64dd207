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

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from saas_exporter.config import load_config_data
from saas_exporter.demo import demo_config_data, demo_env
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import start_simulator

from . import alertmanager_api
from .capture import CaptureServer
from .configs import (
    GroupTimers,
    drill_rules,
    format_duration,
    rule_files,
    write_capture_alertmanager_config,
    write_prometheus_config,
)
from .expectations import firing_slack_problems
from .notifications import Notification, parse
from .polling import DeadlineExceeded, poll
from .processes import Server, start_alertmanager, start_prometheus
from .scenarios import SCENARIOS, VENDORS, Expected, Scenario

Key = tuple[str, str, str, str, str, str]  # Notification.key


class DrillFailure(AssertionError):
    pass


@dataclass(frozen=True)
class Timings:
    probe_interval: float = 1.0
    scrape_interval: float = 1.0
    evaluation_interval: float = 1.0
    group_wait: float = 1.0
    # The pack's `for` durations are minutes; the drill runs them as seconds.
    for_scale: float = 1 / 60

    def floor(self, for_seconds: float) -> float:
        """Probe interval + scrape interval + evaluation interval + `for` + group_wait."""
        return (
            self.probe_interval
            + self.scrape_interval
            + self.evaluation_interval
            + for_seconds
            + self.group_wait
        )


@dataclass(frozen=True)
class Detection:
    scenario: str
    expected: Expected
    for_seconds: float
    floor: float
    detected_after: float  # fault -> first notification at any of its receivers
    all_receivers_after: float  # fault -> the last of its receivers notified
    resolved_after: float  # recovery -> the last resolved notification


@dataclass
class ScenarioResult:
    scenario: Scenario
    firing: list[Notification] = field(default_factory=list)
    resolved: list[Notification] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    def firing_keys(self) -> set[Key]:
        return {n.key for n in self.firing}

    def resolved_keys(self) -> set[Key]:
        return {n.key for n in self.resolved}


def expected_keys(scenario: Scenario) -> set[Key]:
    return {
        (e.vendor, e.alertname, e.priority, e.cause, receiver, e.account)
        for e in scenario.expected
        for receiver in e.receivers
    }


class Drill:
    def __init__(
        self,
        workdir: Path | None = None,
        timings: Timings = Timings(),
        say: Callable[[str], None] = print,
        wait_slack: float = 30.0,
    ):
        self.timings = timings
        self.say = say
        self.wait_slack = wait_slack
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="saas-drill-")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._stops: list[Callable[[], None]] = []
        self.servers: dict[str, Server] = {}

    # --- set-up and tear-down --------------------------------------------------------
    def __enter__(self) -> Drill:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception as err:  # keep stopping the rest
                self.say(f"drill: while stopping: {err}")
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _start(self) -> None:
        t = self.timings
        self.capture = CaptureServer().start()
        self._stops.append(self.capture.stop)

        self.simulator, sim_thread = start_simulator()

        def stop_simulator() -> None:
            self.simulator.shutdown()
            self.simulator.server_close()
            sim_thread.join(5)

        self._stops.append(stop_simulator)

        # Klaviyo and Clay together, every probe every interval (Clay's api probe runs
        # every 120 s in production); the demo config raises the simulator's limits for
        # the budget check.
        interval = format_duration(t.probe_interval)
        data = demo_config_data(
            self.simulator.base_url,
            {p: interval for p in ("accounts", "profiles", "api", "statuspage")},
            vendors=VENDORS,
        )
        for vendor in data["vendors"]:
            vendor["timeout"] = format_duration(t.probe_interval / 2)
        config = load_config_data(data, demo_env())
        self.exporter = ExporterRuntime(config, ("127.0.0.1", 0))
        self.exporter.start()
        self._stops.append(self.exporter.stop)

        am_config = write_capture_alertmanager_config(
            self.workdir / "alertmanager.yml",
            self.capture.base_url,
            timers=GroupTimers(group_wait=format_duration(t.group_wait)),
            # The drill runs any day at any hour: business hours always apply here
            # (tests check that P4 waits outside them).
            always_business_hours=True,
        )
        self.servers["alertmanager"] = start_alertmanager(am_config, self.workdir)
        self._stops.append(self.servers["alertmanager"].stop)

        sources = rule_files()
        if not sources:
            raise DrillFailure("no rule files (rules/*.rules.yaml): the drill needs the rule pack")
        self.rules = drill_rules(
            self.workdir / "rules",
            sources,
            for_scale=t.for_scale,
            evaluation_interval=format_duration(t.evaluation_interval),
        )
        prom_config = write_prometheus_config(
            self.workdir / "prometheus.yml",
            exporter_address=self.exporter.address,
            alertmanager_address=self.servers["alertmanager"].url.removeprefix("http://"),
            rule_paths=self.rules.files,
            scrape_interval=format_duration(t.scrape_interval),
            evaluation_interval=format_duration(t.evaluation_interval),
        )
        self.servers["prometheus"] = start_prometheus(prom_config, self.workdir)
        self._stops.append(self.servers["prometheus"].stop)
        self.say(
            f"drill: simulator {self.simulator.base_url}, exporter {self.exporter.address}, "
            f"prometheus {self.prometheus.url}, alertmanager {self.alertmanager.url}, "
            f"capture {self.capture.base_url}"
        )
        if self.rules.left_out:
            self.say(
                "drill: rules on in-app series left out (no application runs in the drill): "
                + ", ".join(self.rules.left_out)
            )
        probes = len(self.exporter.targets)
        poll(
            lambda: self.query_value("count(saas_probe_success == 1)") == probes,
            30,
            f"Prometheus to scrape {probes} successful probes",
        )
        # Prometheus scrapes its first target only after its discovery throttle (~5 s),
        # longer than some scaled `for` durations (absent(up) for 5 s): whatever fires
        # before the first scrape must resolve before the first scenario.
        self._quiet()
        for note in self.notifications(0.0):
            if note.status == "firing":
                self.say(
                    f"drill: start-up: {note.alertname} fired at {note.receiver} before the "
                    "first scrape, and resolved"
                )

    @property
    def prometheus(self) -> Server:
        return self.servers["prometheus"]

    @property
    def alertmanager(self) -> Server:
        return self.servers["alertmanager"]

    # --- reading the pipeline --------------------------------------------------------
    def query_value(self, promql: str) -> float | None:
        response = httpx.get(f"{self.prometheus.url}/api/v1/query", params={"query": promql})
        result = response.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def prometheus_alerts(self) -> list[dict]:
        response = httpx.get(f"{self.prometheus.url}/api/v1/alerts", timeout=5)
        return response.json()["data"]["alerts"]

    def notifications(self, since: float) -> list[Notification]:
        return [parse(d) for d in self.capture.deliveries(since)]

    def _settled(self) -> bool:
        """Every notification that fired has been followed by its resolution."""
        open_: dict[tuple[str, str, str, str], bool] = {}
        for note in sorted(self.notifications(0.0), key=lambda n: n.received_at):
            key = (note.vendor, note.alertname, note.receiver, note.account)
            open_[key] = note.status == "firing"
        return not any(open_.values())

    def _quiet(self) -> None:
        def quiet() -> bool:
            return (
                not self.prometheus_alerts()
                and not alertmanager_api.alerts(self.alertmanager.url)
                and self._settled()
            )

        poll(quiet, self.wait_slack, "no pending or firing alert", describe=self._state)

    def _state(self, since: float = 0.0) -> str:
        prom = sorted(
            f"{a['labels']['alertname']}{{vendor={a['labels'].get('vendor', '')!r},"
            f"probe={a['labels'].get('probe', '')!r}}}:"
            f"{a['state']}:cause={a['labels'].get('cause')}"
            for a in self.prometheus_alerts()
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

    def _heal(self, scenario: Scenario) -> None:
        for fault in scenario.all_faults:
            self.simulator.set_scenario(fault.vendor, "healthy")

    # --- one scenario ----------------------------------------------------------------
    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        """Break, check, heal, check. On a failure the vendor is healed and the
        pipeline left quiet before the error propagates, so the next scenario can run."""
        self._quiet()
        try:
            return self._run_scenario(scenario)
        except (DrillFailure, DeadlineExceeded) as err:
            self._heal(scenario)
            try:
                self._quiet()
            except DeadlineExceeded as stuck:
                raise DrillFailure(f"scenario {scenario.name}: {err}\n  then: {stuck}") from err
            if isinstance(err, DrillFailure):
                raise
            raise DrillFailure(f"scenario {scenario.name}: {err}") from err

    def _run_scenario(self, scenario: Scenario) -> ScenarioResult:
        result = ScenarioResult(scenario)
        want = expected_keys(scenario)
        max_for = max(self.rules.rule(e.alertname, e.vendor).for_seconds for e in scenario.expected)
        deadline = self.timings.floor(max_for) + self.wait_slack

        stages = [scenario.faults, scenario.then] if scenario.then else [scenario.faults]
        # The moment each stage's faults were applied; stage 0's is the scenario's start.
        broken_at: list[float] = []

        def firing(keys_wanted: set[Key]) -> Callable[[], list[Notification] | None]:
            def check() -> list[Notification] | None:
                found = [n for n in self.notifications(broken_at[0]) if n.status == "firing"]
                return found if keys_wanted <= {n.key for n in found} else None

            return check

        def describe() -> str:
            return f"want {sorted(want)}; {self._state(broken_at[0])}"

        for stage, faults in enumerate(stages):
            broken_at.append(time.time())
            for fault in faults:
                self.simulator.set_scenario(fault.vendor, fault.simulator, **fault.params)
            # Until the last stage, wait for this stage's vendors' notifications only.
            stage_want = {k for k in want if scenario.stage_of(k[0]) <= stage}
            what = f"{scenario.name} notifications" + (f" (stage {stage + 1})" if stage else "")
            firing_notes = poll(firing(stage_want), deadline, what, describe=describe)
        fault_at = broken_at[0]
        problems = self._check_texts(firing_notes)

        recover_at = time.time()
        self._heal(scenario)

        def resolved() -> list[Notification] | None:
            found = [n for n in self.notifications(recover_at) if n.status == "resolved"]
            keys = {n.key for n in found}
            return found if want <= keys else None

        resolved_notes = poll(resolved, deadline, f"{scenario.name} to resolve", describe=describe)
        self._quiet()
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
                    self.timings.floor(rule.for_seconds),
                    min(n.received_at for n in mine) - broken,
                    max(min(n.received_at for n in mine if n.receiver == r) for r in e.receivers)
                    - broken,
                    max(n.received_at for n in back) - recover_at,
                )
            )
        return result

    def _check_texts(self, notes: list[Notification]) -> list[str]:
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
        self._quiet()
        self.say("drill: recovery: every vendor is healthy, nothing pending or firing")
        return results, failures


def detection_table(results: list[ScenarioResult], timings: Timings) -> str:
    rows = [
        "| scenario | vendor | alert | priority | cause | receivers | time to detect | floor | "
        "resolved after recovery |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for d in result.detections:
            rows.append(
                f"| {d.scenario} | {d.expected.vendor} | {d.expected.alertname} | "
                f"{d.expected.priority} | "
                f"{d.expected.cause} | {', '.join(d.expected.receivers)} | "
                f"{d.detected_after:.1f} s | {d.floor:.1f} s | {d.resolved_after:.1f} s |"
            )
    rows.append("")
    rows.append(
        f"floor = probe interval {timings.probe_interval:g} s + scrape interval "
        f"{timings.scrape_interval:g} s + evaluation interval {timings.evaluation_interval:g} s"
        f" + the rule's `for` (pack value x {timings.for_scale:.4g}) + group_wait "
        f"{timings.group_wait:g} s; measured {dt.datetime.now(dt.UTC):%Y-%m-%d}"
    )
    return "\n".join(rows)
