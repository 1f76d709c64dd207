"""The exporter as a real process against the hostile vendor: its config, its memory
(RSS and peak RSS from /proc), its /metrics as scraped, and each probe's state read
from them. Shared by the fault-injection tests and ``python -m saas_tools.soak``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ..stack.processes import free_port, start_process
from .modes import API_PATH
from .vendor import HostileVendor

KEY_ENV = "SAAS_HOSTILE_KEY"
KEY = "acme-hostile-0123456789"


def _vendor(name: str, url: str, interval: str, timeout: str, accounts: int) -> dict:
    return {
        "name": name,
        "kind": "generic",
        "api_url": url,
        "statuspage_url": url,
        "statuspage_format": "atlassian",
        "timeout": timeout,
        "intervals": {"api": interval, "statuspage": interval},
        "api": {"path": API_PATH, "auth_header": "x-api-key", "account_id_field": "id"},
        "accounts": [{"name": f"a{i}", "api_key_env": KEY_ENV} for i in range(accounts)],
    }


def hostile_config(
    vendor: HostileVendor,
    modes: list[str] | None = None,
    vendors: int = 3,
    accounts: int = 2,
    interval: str = "2s",
    timeout: str = "1s",
) -> dict:
    """One vendor per mode (``modes``: every fault at once), or ``vendors`` vendors of
    ``accounts`` accounts each on the vendor's switchable default mode."""
    if modes is not None:
        entries = [
            _vendor(mode.replace("_", "-"), vendor.mode_url(mode), interval, timeout, 1)
            for mode in modes
        ]
    else:
        entries = [
            _vendor(f"acme{i}", vendor.url, interval, timeout, accounts) for i in range(vendors)
        ]
    return {"vendors": entries}


@dataclass
class ProbeState:
    runs: float = 0.0
    success: float | None = None
    reason: str | None = None  # the reason saas_probe_failing is 1 for


def probe_states(metrics: str) -> dict[tuple[str, str, str], ProbeState]:
    states: dict[tuple[str, str, str], ProbeState] = {}
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            labels = sample.labels
            if "probe" not in labels:
                continue
            key = (labels["vendor"], labels.get("account", ""), labels["probe"])
            state = states.setdefault(key, ProbeState())
            if sample.name == "saas_probe_runs_total":
                state.runs = sample.value
            elif sample.name == "saas_probe_success":
                state.success = sample.value
            elif sample.name == "saas_probe_failing" and sample.value == 1:
                state.reason = labels["reason"]
    return states


class ExporterProcess:
    """The exporter on a free loopback port, started and stopped as the test stack does
    (``saas_tools.stack.processes``), with what the hostile tests read off it."""

    def __init__(self, config: dict, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_path = workdir / "hostile-config.yml"
        config_path.write_text(yaml.safe_dump(config))
        argv = [sys.executable, "-m", "saas_exporter", f"--config.file={config_path}"]
        argv.append(f"--web.listen-address=127.0.0.1:{self.port}")
        self.server = start_process("exporter", argv, self.url, workdir, env={KEY_ENV: KEY})
        self.proc = self.server.process
        self.log = self.server.log_path

    def _status_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def rss_mib(self) -> float:
        return self._status_kib("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        """The highest RSS since start or since reset_peak()."""
        return self._status_kib("VmHWM") / 1024

    def reset_peak(self) -> None:
        # Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def scrape(self, path: str = "/metrics", timeout: float = 10.0) -> tuple[int, float, str]:
        """(status, seconds, body); status 0 when the request itself failed."""
        start = time.perf_counter()
        try:
            response = httpx.get(f"{self.url}{path}", timeout=timeout)
        except httpx.HTTPError as err:
            return 0, time.perf_counter() - start, f"{type(err).__name__}: {err}"
        return response.status_code, time.perf_counter() - start, response.text

    def log_text(self) -> str:
        return self.server.log_text()

    def tracebacks(self) -> int:
        return self.log_text().count("Traceback (most recent call last)")

    def stop(self) -> None:
        self.server.stop()
