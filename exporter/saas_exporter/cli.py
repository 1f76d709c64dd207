"""`saas-exporter`: Prometheus-style flags; subcommands for the simulator and the on-call
commands (`saas-exporter --help` lists them)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence

from .config import ConfigError, ExporterConfig, load_config
from .config.accounts_dir import AccountFiles
from .config_check import CHECKS, check_config
from .demo.command import add_demo_command
from .logs import add_log_flags, setup_logging
from .memory import limit_malloc_arenas
from .oncall import commands as oncall_commands
from .sharding import ShardError, shard_from_flags
from .signals import StopSignals
from .web import parse_listen_address
from .web.healthcheck import add_healthcheck
from .web.options import add_web_flags, web_options
from .web.webconfig import WebConfigError

log = logging.getLogger("saas_exporter")
DEFAULT_LISTEN = ":9879"
EXIT_CONFIG = 2
EXIT_LISTEN = 1


class _VersionAction(argparse.Action):
    """Like argparse's version action, but reads the build info only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .buildinfo import build_info

        print(build_info().text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """`saas-exporter` runs the exporter; its subcommands are the simulator and the
    on-call commands, each with its own flags (after the command's name)."""
    parser = argparse.ArgumentParser(
        prog="saas-exporter",
        description="Probe SaaS vendors (API identity, rate-limit headroom, status page) "
        "into Prometheus metrics. Without a command, runs the exporter.",
        epilog="`saas-exporter <command> --help` lists a command's flags and exit codes.",
    )
    # dest exporter_*: a subcommand's flags of the same name never mix with these.
    parser.add_argument(
        "--config.file",
        dest="exporter_config_file",
        metavar="FILE",
        default="saas-exporter.yml",
        help="YAML config (default: %(default)s)",
    )
    parser.add_argument(
        "--config.check",
        dest="exporter_config_check",
        nargs="?",
        const="all",
        choices=CHECKS,
        metavar="WHAT",
        help="validate the config, then exit 0 (valid) or 2: `all` (the default: structure, "
        "budget and keys), `structure` (structure and budget, no key read: for CI), `keys` "
        "(only read and shape-check each account's key)",
    )
    parser.add_argument(
        "--web.listen-address",
        dest="exporter_listen",
        metavar="ADDRESS",
        default=DEFAULT_LISTEN,
        help="[host]:port to serve on (default: %(default)s)",
    )
    parser.add_argument(
        "--demo",
        dest="exporter_demo",
        action="store_true",
        help="run the demo as `saas-exporter demo` does, on this address and web options, "
        "with the simulator and the application on free ports",
    )
    parser.add_argument(
        "--shard.count",
        dest="exporter_shard_count",
        metavar="N",
        type=int,
        default=1,
        help="run as one of N shards: each probes the accounts it owns (rendezvous hash "
        "of vendor and account), every replica with the same config (default: %(default)s)",
    )
    parser.add_argument(
        "--shard.index",
        dest="exporter_shard_index",
        metavar="I",
        type=int,
        default=None,
        help="this replica's shard, 0 to N-1 (default with --shard.count > 1: the "
        "StatefulSet pod ordinal, the number ending the hostname)",
    )
    add_web_flags(parser)
    add_log_flags(parser)
    parser.add_argument(
        "--version",
        action=_VersionAction,
        nargs=0,
        help="print the version, revision and build date, and exit",
    )
    commands = parser.add_subparsers(dest="command", title="commands", metavar="<command>")
    add_demo_command(commands)
    _add_simulate(commands)
    add_healthcheck(commands)
    for command in oncall_commands():
        command.add_to(commands)
    from .silences.command import COMMAND as silences_command

    silences_command.add_to(commands)
    return parser


def run_exporter(args: argparse.Namespace) -> int:
    setup_logging(args.log_level, args.log_format)
    signals = StopSignals(reloadable=not args.exporter_demo)
    try:
        listen = parse_listen_address(args.exporter_listen)
    except ValueError as err:
        print(f"saas-exporter: {err}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        web = web_options(args)
    except WebConfigError as err:
        where = args.exporter_web_config_file or "flags"
        print(f"saas-exporter: invalid web config {where}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    from .runtime import ExporterRuntime
    from .web.server import raise_open_files_limit

    raise_open_files_limit()
    limit_malloc_arenas()

    if args.exporter_demo:
        # `saas-exporter demo` on this address and web options, the simulator and the
        # application on free ports: several can run at once (tests, benchmarks).
        from .demo.command import serve
        from .demo.stack import DemoSpec

        free = ("127.0.0.1", 0)
        return serve(DemoSpec(exporter=listen, simulator=free, app=free, web=web), signals)
    path = args.exporter_config_file
    if args.exporter_config_check:
        return check_config(path, args.exporter_config_check)
    try:
        shard = shard_from_flags(args.exporter_shard_count, args.exporter_shard_index)
    except ShardError as err:
        print(f"saas-exporter: {err}", file=sys.stderr)
        return EXIT_CONFIG
    account_files = AccountFiles()

    def load() -> ExporterConfig:
        config = load_config(path, files=account_files)
        for problem in account_files.problems():
            log.error(
                "accounts file refused; the others run (and its last good version, if any)",
                extra={"fields": {"problem": problem}},
            )
        return config

    try:
        config = load()
    except ConfigError as err:
        print(f"saas-exporter: invalid config {path}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        runtime = ExporterRuntime(
            config,
            listen,
            web=web,
            load_config=load,
            shard=shard,
            account_files=account_files,
        )
    except OSError as err:
        print(
            f"saas-exporter: cannot listen on {args.exporter_listen}: {err.strerror}",
            file=sys.stderr,
        )
        return EXIT_LISTEN
    runtime.start()
    signals.wait(runtime.stop, runtime.reload)
    return 0


def _add_simulate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "simulate",
        help="serve a fake vendor API and status page on loopback (demo, fire drills)",
        description="Serve a fake vendor API and status page on loopback, with scenarios "
        "switchable at runtime (POST /-/scenario). Doubles as a fire-drill tool.",
    )
    parser.add_argument(
        "--web.listen-address",
        dest="listen",
        metavar="ADDRESS",
        default="127.0.0.1:9880",
        help="[host]:port to serve on (default: %(default)s)",
    )
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        default="healthy",
        help="the scenario every vendor starts in (default: %(default)s; "
        "GET /-/scenario lists them)",
    )
    add_log_flags(parser)
    parser.set_defaults(run=run_simulator)


def run_simulator(args: argparse.Namespace) -> int:
    setup_logging(args.log_level, args.log_format)
    signals = StopSignals()
    from .simulator import SCENARIOS, SimulatorServer

    if args.scenario not in SCENARIOS:
        print(
            f"saas-exporter simulate: --scenario: expected one of {', '.join(SCENARIOS)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        host, port = parse_listen_address(args.listen)
    except ValueError as err:
        print(f"saas-exporter simulate: {err}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        server = SimulatorServer((host or "127.0.0.1", port))
    except OSError as err:
        print(
            f"saas-exporter simulate: cannot listen on {args.listen}: {err.strerror or err}",
            file=sys.stderr,
        )
        return EXIT_LISTEN
    server.set_scenario_everywhere(args.scenario)
    print(f"simulator on {server.base_url} (scenario {args.scenario})", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    signals.wait(server.shutdown)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return run_exporter(args)
    before = argv[: argv.index(args.command)]
    if any(arg.startswith("-") for arg in before):
        # They would be the exporter's flags, silently unused by the command.
        parser.error(
            f"{' '.join(before)}: put {args.command}'s flags after its name "
            f"(saas-exporter {args.command} --help)"
        )
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
