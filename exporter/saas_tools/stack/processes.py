"""Real Prometheus and Alertmanager processes on loopback, stopped by their handles."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from .polling import poll

PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"  # the Debian name of the alertmanager binary
AMTOOL = "amtool"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary(name: str) -> str:
    for candidate in (name, "alertmanager") if name == ALERTMANAGER else (name,):
        path = shutil.which(candidate)
        if path:
            return path
    raise FileNotFoundError(
        f"{name} not found on PATH; install the Debian packages prometheus and "
        "prometheus-alertmanager (scripts/system-deps.sh)"
    )


@dataclass
class Server:
    """One started server process: its URL, its log file and the Popen handle."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    ready_path: str = "/-/ready"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_text()[-3000:]}"
                )
            try:
                return httpx.get(f"{self.url}{self.ready_path}", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout, f"{self.name} at {self.url} to be ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        log = getattr(self.process, "_log_file", None)
        if log is not None:
            log.close()


def start_process(
    name: str,
    argv: list[str],
    url: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    ready_path: str = "/-/ready",
) -> Server:
    """Run `argv` in `workdir` (output to `<name>.log` there, `env` added to the
    environment) and return once `url`'s `ready_path` answers 200; the process is
    stopped if it never does."""
    log_path = workdir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        argv,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=workdir,
        env={**os.environ, **env} if env else None,
    )
    process._log_file = log_file  # type: ignore[attr-defined]
    server = Server(name, url, process, log_path, ready_path)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


def _start_server(
    name: str,
    executable: str,
    config_file: Path,
    storage_flag: str,
    workdir: Path,
    extra: list[str],
) -> Server:
    port = free_port()
    data = workdir / f"{name}-data"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        binary(executable),
        f"--config.file={config_file}",
        f"{storage_flag}={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        *extra,
    ]
    return start_process(name, argv, f"http://127.0.0.1:{port}", workdir)


def start_alertmanager(config_file: Path, workdir: Path, log_level: str = "info") -> Server:
    # A single instance: no gossip port, no peers.
    extra = ["--cluster.listen-address=", f"--log.level={log_level}"]
    return _start_server(
        "alertmanager", ALERTMANAGER, config_file, "--storage.path", workdir, extra
    )


def start_prometheus(config_file: Path, workdir: Path) -> Server:
    # Resend firing alerts every second, so Alertmanager's view follows quickly.
    extra = ["--rules.alert.resend-delay=1s"]
    return _start_server(
        "prometheus", PROMETHEUS, config_file, "--storage.tsdb.path", workdir, extra
    )
