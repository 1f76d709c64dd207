"""The exporter's ``--web.*`` flags, gathered into one ``WebOptions``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from .server import ConnectionLimits
from .webconfig import ALWAYS_OPEN_PATHS, WebConfig, WebConfigError, load_web_config

RESERVED_PATHS = ("/", "/health", "/-/reload", *ALWAYS_OPEN_PATHS)


@dataclass(frozen=True)
class WebOptions:
    config: WebConfig = field(default_factory=WebConfig)
    config_file: str | None = None
    telemetry_path: str = "/metrics"
    enable_lifecycle: bool = False
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)


def add_web_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web.config.file",
        dest="exporter_web_config_file",
        metavar="FILE",
        default="",
        help="exporter-toolkit web config: TLS, basic auth, response headers "
        "(the file node_exporter takes; see README)",
    )
    parser.add_argument(
        "--web.telemetry-path",
        dest="exporter_telemetry_path",
        metavar="PATH",
        default="/metrics",
        help="path under which to expose metrics (default: %(default)s)",
    )
    parser.add_argument(
        "--web.enable-lifecycle",
        dest="exporter_enable_lifecycle",
        action="store_true",
        help="enable POST /-/reload (re-read the config, as SIGHUP does)",
    )
    parser.add_argument(
        "--web.max-connections",
        dest="exporter_max_connections",
        metavar="N",
        type=int,
        default=ConnectionLimits.max_connections,
        help="open connections kept at most; past it the oldest idle one is closed "
        "(default: %(default)s)",
    )


def web_options(args: argparse.Namespace) -> WebOptions:
    """Raises WebConfigError naming the flag or the web config's field at fault."""
    problems = []
    path = args.exporter_telemetry_path
    if not path.startswith("/") or path in RESERVED_PATHS or any(c in path for c in "?# "):
        problems.append(
            f"--web.telemetry-path: expected a path such as /metrics, not one of "
            f"{', '.join(RESERVED_PATHS)}; got {path!r}"
        )
    if args.exporter_max_connections < 1:
        problems.append(
            f"--web.max-connections: expected at least 1, got {args.exporter_max_connections}"
        )
    if problems:
        raise WebConfigError(problems)
    file = args.exporter_web_config_file or None
    return WebOptions(
        config=load_web_config(file) if file else WebConfig(),
        config_file=file,
        telemetry_path=path,
        enable_lifecycle=args.exporter_enable_lifecycle,
        limits=ConnectionLimits(max_connections=args.exporter_max_connections),
    )
