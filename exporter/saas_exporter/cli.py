"""`saas-exporter`: Prometheus-style flags; subcommands for the simulator (and on-call tools)."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from . import __version__
from .config import ConfigError, load_config
from .logs import LEVELS, setup_logging
from .web import parse_listen_address

log = logging.getLogger("saas_exporter")
DEFAULT_LISTEN = ":9879"
EXIT_CONFIG = 2


def _exporter_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saas-exporter",
        description="Probe SaaS vendors (API identity, rate-limit headroom, status page) "
        "into Prometheus metrics. Subcommands: simulate (a fake vendor on loopback).",
    )
    parser.add_argument(
        "--config.file",
        dest="config_file",
        default="saas-exporter.yml",
        help="YAML config (default: %(default)s)",
    )
    parser.add_argument(
        "--config.check",
        dest="config_check",
        action="store_true",
        help="validate the config (and load the keys), then exit",
    )
    parser.add_argument(
        "--web.listen-address",
        dest="listen",
        default=DEFAULT_LISTEN,
        help="[host]:port to serve on (default: %(default)s)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="probe the built-in simulator (no key, no network)"
    )
    _log_flags(parser)
    parser.add_argument("--version", action="version", version=f"saas-exporter {__version__}")
    return parser


def _log_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log.level", dest="log_level", choices=list(LEVELS), default="info")
    parser.add_argument(
        "--log.format", dest="log_format", choices=["logfmt", "json"], default="logfmt"
    )


def _wait_for_signal(stop: Callable[[], None]) -> None:
    done = threading.Event()

    def handle(signum, _frame):
        log.info("shutting down", extra={"fields": {"signal": signal.Signals(signum).name}})
        done.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    done.wait()
    stop()


def run_exporter(argv: Sequence[str]) -> int:
    args = _exporter_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        listen = parse_listen_address(args.listen)
    except ValueError as err:
        print(f"saas-exporter: {err}", file=sys.stderr)
        return EXIT_CONFIG
    from .runtime import ExporterRuntime
    from .web.server import raise_open_files_limit

    raise_open_files_limit()

    simulator = None
    if args.demo:
        from .demo import DEMO_START_SCENARIO, demo_config
        from .simulator import start_simulator

        simulator, _ = start_simulator("127.0.0.1", 0)
        simulator.set_scenario_everywhere(DEMO_START_SCENARIO)
        config = demo_config(simulator.base_url)
    else:
        try:
            config = load_config(args.config_file)
        except ConfigError as err:
            print(f"saas-exporter: invalid config {args.config_file}:", file=sys.stderr)
            for problem in err.problems:
                print(f"  {problem}", file=sys.stderr)
            return EXIT_CONFIG
        if args.config_check:
            accounts = sum(len(v.accounts) for v in config.vendors)
            print(f"{args.config_file}: OK ({len(config.vendors)} vendors, {accounts} accounts)")
            return 0
    try:
        runtime = ExporterRuntime(config, listen)
    except OSError as err:
        print(f"saas-exporter: cannot listen on {args.listen}: {err.strerror}", file=sys.stderr)
        return 1
    runtime.start()
    if simulator is not None:
        sim = simulator.base_url
        print(
            f"demo: exporter on http://{runtime.address}/metrics, simulator on {sim}\n"
            f"demo: starting scenario {DEMO_START_SCENARIO!r}; switch with\n"
            f'  curl -s -XPOST {sim}/-/scenario -d \'{{"scenario": "auth_failure"}}\'\n'
            f"  (list: curl -s {sim}/-/scenario)",
            flush=True,
        )

    def stop() -> None:
        runtime.stop()
        if simulator is not None:
            simulator.shutdown()

    _wait_for_signal(stop)
    return 0


def run_simulator(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="saas-exporter simulate",
        description="Serve a fake vendor API and status page on loopback, with scenarios "
        "switchable at runtime (POST /-/scenario). Doubles as a fire-drill tool.",
    )
    parser.add_argument("--web.listen-address", dest="listen", default="127.0.0.1:9880")
    parser.add_argument("--scenario", default="healthy")
    _log_flags(parser)
    args = parser.parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    from .simulator import SCENARIOS, SimulatorServer

    if args.scenario not in SCENARIOS:
        print(
            f"saas-exporter simulate: --scenario: expected one of {', '.join(SCENARIOS)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        host, port = parse_listen_address(args.listen)
        server = SimulatorServer((host or "127.0.0.1", port))
    except (ValueError, OSError) as err:
        print(f"saas-exporter simulate: {err}", file=sys.stderr)
        return EXIT_CONFIG
    server.set_scenario_everywhere(args.scenario)
    print(f"simulator on {server.base_url} (scenario {args.scenario})", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _wait_for_signal(server.shutdown)
    return 0


def _oncall(name: str) -> Callable[[Sequence[str]], int]:
    def run(argv: Sequence[str]) -> int:
        return importlib.import_module(f".oncall.{name}", __package__).run(argv)

    return run


SUBCOMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "simulate": run_simulator,
    **{name: _oncall(name) for name in ("preflight", "triage", "bundle", "postmortem")},
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    return run_exporter(argv)


if __name__ == "__main__":
    sys.exit(main())
