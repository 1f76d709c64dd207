"""``saas-exporter healthcheck``: the container's HEALTHCHECK, following the port the
exporter was actually started with.

In the image the exporter is PID 1, so its command line (/proc/1/cmdline) says where it
listens (``--web.listen-address``) and whether it serves TLS (``--web.config.file``).
The check asks ``/-/healthy`` there (never ``/health``, which reports the vendor) and
exits 0 on 200, else 1. A Docker HEALTHCHECK cannot see the CMD's flags; this can.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import yaml

from .listen import parse_listen_address

DEFAULT_LISTEN = ":9879"


def flag_value(argv: list[str], name: str) -> str | None:
    """The last value of ``--name=value`` or ``--name value`` in a command line."""
    found = None
    for i, arg in enumerate(argv):
        if arg.startswith(f"{name}="):
            found = arg.split("=", 1)[1]
        elif arg == name and i + 1 < len(argv):
            found = argv[i + 1]
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _uses_tls(web_config: str | None) -> bool:
    if not web_config:
        return False
    try:
        data = yaml.safe_load(Path(web_config).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and bool(data.get("tls_server_config"))


def healthy_url(listen: str, tls: bool) -> str:
    host, port = parse_listen_address(listen)
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{host}:{port}/-/healthy"


def add_healthcheck(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "healthcheck",
        help="exit 0 when the running exporter's /-/healthy answers 200 (the image's HEALTHCHECK)",
        description="Ask the running exporter's /-/healthy, at the address and scheme its "
        "own command line gives (PID 1 in a container). Exit 0 on 200, else 1.",
    )
    parser.add_argument(
        "--pid",
        type=int,
        default=1,
        help="the exporter's process id, whose flags say where it listens (default: 1)",
    )
    parser.add_argument(
        "--web.listen-address",
        dest="listen",
        metavar="ADDRESS",
        help="ask here instead of the address on the process's command line",
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds (default: 3)")
    parser.set_defaults(run=run_healthcheck)


def run_healthcheck(args: argparse.Namespace) -> int:
    argv = _cmdline(args.pid)
    listen = args.listen or flag_value(argv, "--web.listen-address") or DEFAULT_LISTEN
    url = healthy_url(listen, _uses_tls(flag_value(argv, "--web.config.file")))
    try:
        # Liveness of the local process: its certificate names the service, not loopback.
        response = httpx.get(url, timeout=args.timeout, verify=False)
    except (httpx.HTTPError, ValueError) as err:
        print(f"unhealthy: {url}: {err}")
        return 1
    ok = response.status_code == 200
    print(f"{'healthy' if ok else 'unhealthy'}: {url}: {response.status_code}")
    return 0 if ok else 1
