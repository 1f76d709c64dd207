"""A real simulator and a real exporter process on loopback, and reading their metrics."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families
from saas_tools.stack.polling import poll
from saas_tools.stack.processes import free_port


@dataclass
class Process:
    proc: subprocess.Popen
    url: str
    log: Path | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)

    def log_text(self) -> str:
        return self.log.read_text() if self.log else ""


def start_simulator() -> Process:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            "simulate",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout.readline().startswith("simulator on ")
    return Process(proc, f"http://127.0.0.1:{port}")


def start_exporter(config: Path, workdir: Path, *flags: str) -> Process:
    port = free_port()
    log = workdir / f"exporter-{port}.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saas_exporter",
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    exporter = Process(proc, f"http://127.0.0.1:{port}", log)
    poll(lambda: _ready(exporter), 30, "the exporter to be ready", describe=exporter.log_text)
    return exporter


def _ready(exporter: Process) -> bool:
    assert exporter.proc.poll() is None, exporter.log_text()
    try:
        return httpx.get(f"{exporter.url}/-/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def samples(url: str) -> dict[tuple[str, frozenset], float]:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def vendor_calls(simulator: Process) -> dict[str, int]:
    return httpx.get(f"{simulator.url}/-/requests", timeout=5).json()
