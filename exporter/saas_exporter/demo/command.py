"""`saas-exporter demo`: run the demo and say what to do next, or print its config."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Callable

from ..logs import add_log_flags, setup_logging
from ..signals import StopSignals
from ..simulator import SCENARIOS
from ..web import parse_listen_address
from .app import WEBHOOK_PATH
from .config import (
    DEMO_APP_ADDRESS,
    DEMO_EXPORTER_ADDRESS,
    DEMO_SIMULATOR_ADDRESS,
    DEMO_START_SCENARIO,
    demo_config_yaml,
)
from .stack import Demo, DemoSpec, ListenError

EXIT_USAGE = 2
EXIT_LISTEN = 1
FLAGS = (
    ("--web.listen-address", "exporter", DEMO_EXPORTER_ADDRESS, "the exporter"),
    ("--simulator.listen-address", "simulator", DEMO_SIMULATOR_ADDRESS, "the vendor simulator"),
    ("--app.listen-address", "app", DEMO_APP_ADDRESS, "the simulated application"),
)
# 64 hex characters that are not the signature of anything.
FORGED_SIGNATURE = "0" * 64


def add_demo_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo",
        help="run the exporter, a vendor simulator and a simulated application on "
        "loopback (no key, no network) and print what to try",
        description="The demo: the simulator plays Klaviyo, Clay and a generic vendor; the "
        "exporter probes it; a simulated application calls it through saas_inapp.instrument "
        "and receives signed webhooks, so every dashboard panel has data. On-call commands "
        "reach it with --demo. Exit 0 after SIGINT/SIGTERM, 1 a port is taken, 2 bad flags.",
    )
    for flag, dest, default, what in FLAGS:
        parser.add_argument(
            flag,
            dest=f"demo_{dest}",
            metavar="ADDRESS",
            default=default,
            help=f"host:port for {what} (default: %(default)s)",
        )
    parser.add_argument(
        "--scenario",
        dest="demo_scenario",
        metavar="NAME",
        choices=list(SCENARIOS),
        default=DEMO_START_SCENARIO,
        help="the simulator's scenario at start, for every vendor it applies to "
        "(default: %(default)s; the list: GET /-/scenario on the simulator)",
    )
    parser.add_argument(
        "--print-config",
        dest="demo_print_config",
        action="store_true",
        help="print the demo's exporter config (for the simulator's address) and exit: "
        "a starting point for your own",
    )
    add_log_flags(parser)
    parser.set_defaults(run=run_demo)


def spec_from(args: argparse.Namespace) -> DemoSpec:
    """The demo's addresses from its flags; ValueError naming the bad flag."""
    exporter, simulator, app = (
        parse_listen_address(getattr(args, f"demo_{dest}"), flag)
        for flag, dest, _default, _what in FLAGS
    )
    return DemoSpec(exporter=exporter, simulator=simulator, app=app, scenario=args.demo_scenario)


def run_demo(args: argparse.Namespace) -> int:
    setup_logging(args.log_level, args.log_format)
    try:
        spec = spec_from(args)
    except ValueError as err:
        print(f"saas-exporter demo: {err}", file=sys.stderr)
        return EXIT_USAGE
    if args.demo_print_config:
        host, port = spec.simulator
        sys.stdout.write(demo_config_yaml(f"http://{host}:{port}"))
        return 0
    return serve(spec, StopSignals())


def serve(spec: DemoSpec, signals: StopSignals) -> int:
    """Run the demo until SIGINT or SIGTERM (`signals` installed before it starts)."""
    try:
        demo = Demo(spec).start()
    except ListenError as err:
        print(f"saas-exporter demo: {err.message}", file=sys.stderr)
        return EXIT_LISTEN
    print(next_steps(demo, invoked_as()), flush=True)
    signals.wait(demo.stop)
    return 0


def invoked_as(argv0: str | None = None, which: Callable[[str], str | None] = shutil.which) -> str:
    """How to run saas-exporter again from this shell: the name on PATH, else the path
    it was started by (`.venv/bin/saas-exporter` from `make demo`)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if os.path.basename(argv0) != "saas-exporter":
        return f"{shlex.quote(sys.executable)} -m saas_exporter"
    on_path = which("saas-exporter")
    if on_path and os.path.realpath(on_path) == os.path.realpath(argv0):
        return "saas-exporter"
    relative = os.path.relpath(argv0)
    return shlex.quote(argv0 if relative.startswith("..") else relative)


def _flags(spec: DemoSpec) -> str:
    """The on-call commands' flags to reach this demo: --demo, plus its non-default
    simulator address."""
    host, port = spec.simulator
    if f"{host}:{port}" == DEMO_SIMULATOR_ADDRESS:
        return "--demo"
    return f"--demo --demo.simulator-url http://{host}:{port}"


def next_steps(demo: Demo, program: str) -> str:
    simulator, app, exporter = demo.simulator.base_url, demo.app.url, demo.exporter_url
    flags = _flags(demo.spec)
    scenario = f"{simulator}/-/scenario"
    metrics = f"{exporter}{demo.exporter.web.telemetry_path}"
    return f"""\
demo: exporter on {metrics}, simulator on {simulator}, application on {app}; Ctrl-C stops it.
  exporter    {exporter}/            landing page: every vendor and account at a glance
              {metrics}     {exporter}/health
  simulator   {scenario}  Klaviyo, Clay and Acme, now in {demo.spec.scenario!r}
  application {app}/metrics     its in-app series; Klaviyo webhooks at {WEBHOOK_PATH}

Try a scenario: revoke Klaviyo's key, then ask triage whose fault it is (exit 1: ours).
  curl -s -XPOST {scenario} -d '{{"scenario": "auth_failure", "vendor": "klaviyo"}}'
  {program} triage {flags} --exporter-url {exporter}
  {program} preflight {flags}
Then a vendor-side incident (triage exits 4), and back to healthy:
  curl -s -XPOST {scenario} -d '{{"scenario": "vendor_incident"}}'
  {program} triage {flags} --exporter-url {exporter}
  curl -s -XPOST {scenario} -d '{{"scenario": "healthy"}}'
Forge a webhook (the application counts an invalid_signature):
  curl -s -XPOST {app}{WEBHOOK_PATH} -d '{{}}' -H 'Klaviyo-Webhook-Id: x' \\
    -H 'Klaviyo-Timestamp: 1' -H 'Klaviyo-Signature: {FORGED_SIGNATURE}'

Next: Prometheus with the rule pack, Alertmanager and Grafana on this demo, then
production: README.md, "From the demo to production".
"""
