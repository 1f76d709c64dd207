"""The README as a newcomer follows it: it opens with the two commands, every shell block
is either run here (against the demo, a real Prometheus and a real Alertmanager, in
README order) or listed in NOT_RUN with the reason, and the snippets it tells you to
copy are the shipped example files and work."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from saas_tools.stack import poll
from saas_tools.stack.processes import free_port

from tests.conftest import REPO

README = REPO / "README.md"
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.M | re.S)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.M | re.S)
# The blocks the test does not run, by their first line, and why. A block neither run
# nor listed here fails the test, and so does an entry whose block is gone.
NOT_RUN = {
    "make demo   # set up, then run the demo: exporter, vendor simulator, simulated app "
    "(no key, no network)": "make demo is setup plus `saas-exporter demo`, which runs until "
    "stopped: the test starts that command itself, on free ports, before the other blocks; "
    "`make test` is this suite",
    "sudo mkdir -p /var/lib/grafana/dashboards/saas-exporter": "needs Grafana, which has no "
    "Debian package, and root on a real host; test_grafana_provisioning_files checks the "
    "files it copies",
    "make drill   # < 2 min: breaks the simulated vendors and watches the pages arrive": "the "
    "whole drill takes minutes; make test runs one scenario (tests/test_drill.py)",
    "kubectl create namespace saas-exporter": "needs a cluster; "
    "tests/test_kubernetes_manifests.py validates and builds the manifests",
    "make lint    # ruff check + ruff format --check + mypy": "the development targets; "
    "make test is this suite",
}
# A reader types a block's commands one at a time, seconds apart; the test runs them at
# once. After this command it waits, as a reader does, for what the README says comes
# next: the exporter's next probe of Klaviyo (every 5-15 s) seeing the 401s, which
# `triage --exporter-url` then reads.
AUTH_FAILURE_SWITCH = (
    "curl -s -XPOST 127.0.0.1:9880/-/scenario "
    """-d '{"scenario": "auth_failure", "vendor": "klaviyo"}'\n"""
)
# Blocks that start a server: started in the background, stopped at the end.
SERVERS = ("prometheus ", "prometheus-alertmanager ")
# The demo's and the servers' fixed ports, moved to free ones so the test never collides
# with a demo someone is running.
FIXED_PORTS = (9879, 9880, 9881, 9090, 9093)


def shell_blocks() -> list[str]:
    return SHELL_BLOCK.findall(README.read_text())


def yaml_blocks() -> list[str]:
    return YAML_BLOCK.findall(README.read_text())


def test_readme_opens_with_exactly_the_two_commands():
    text = README.read_text()
    title, rest = text.split("\n", 1)
    assert title == "# saas-exporter"
    first = shell_blocks()[0]
    assert rest.lstrip().startswith("```sh\n" + first)
    assert [line.split()[:2] for line in first.splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]


def test_every_shell_block_is_run_or_listed_with_a_reason():
    firsts = [block.splitlines()[0] for block in shell_blocks()]
    assert set(NOT_RUN) <= set(firsts), set(NOT_RUN) - set(firsts)


def test_the_command_the_walkthrough_waits_after_is_in_the_readme():
    assert any(AUTH_FAILURE_SWITCH in block for block in shell_blocks())


class Walkthrough:
    """The README's commands with the fixed ports and /tmp paths moved into the test's
    own; servers started by the blocks are stopped by `close`."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ports = {port: free_port() for port in FIXED_PORTS}
        self.processes: list[subprocess.Popen] = []
        examples = tmp / "examples" / "prometheus"
        examples.mkdir(parents=True)
        (tmp / "rules").symlink_to(REPO / "rules")
        self.prometheus_config = examples / "prometheus.yml"
        text = (REPO / "examples/prometheus/prometheus.yml").read_text()
        self.prometheus_config.write_text(self.substitute(text))

    def substitute(self, text: str) -> str:
        for fixed, free in self.ports.items():
            text = text.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{free}")
        text = text.replace("/tmp/saas-demo", str(self.tmp / "saas-demo"))
        # On-call commands find the demo's simulator at its fixed address by default.
        simulator = f"--demo.simulator-url={self.url(9880)}"
        text = re.sub(r"(?<= )--demo(?=[ \n]|$)", f"--demo {simulator}", text)
        text = text.replace("examples/prometheus/prometheus.yml", str(self.prometheus_config))
        return text.replace(".venv/bin/", f"{Path(sys.executable).parent}/")

    def url(self, fixed: int) -> str:
        return f"http://127.0.0.1:{self.ports[fixed]}"

    def start(self, command: list[str] | str, ready: str, shell: bool = False) -> None:
        process = subprocess.Popen(
            command,
            shell=shell,
            executable="/bin/bash" if shell else None,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.processes.append(process)

        def answers() -> bool:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                return httpx.get(ready, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        poll(answers, 60, f"{ready} to answer 200")

    def wait_scraped(self, targets: int) -> None:
        """The first scrapes come within one scrape interval; a reader waits too."""
        api = f"{self.url(9090)}/api/v1/query"

        def up() -> int:
            return len(httpx.get(api, params={"query": "up == 1"}).json()["data"]["result"])

        poll(lambda: up() == targets, 60, "Prometheus's first scrape of every target")

    def run(self, block: str) -> str:
        """The block's output; after AUTH_FAILURE_SWITCH, the rest of the block runs once
        the exporter has seen the 401s."""
        head, switch, rest = block.partition(AUTH_FAILURE_SWITCH)
        if not (switch and rest):
            return self._run(block)
        output = self._run(head + switch)
        poll(self.klaviyo_probes_see_401s, 60, "the exporter's next Klaviyo probe to see 401s")
        return output + self._run(rest)

    def klaviyo_probes_see_401s(self) -> bool:
        text = httpx.get(f"{self.url(9879)}/metrics", timeout=5).text
        return any(
            sample.labels.get("vendor") == "klaviyo" and sample.value > 0
            for family in text_string_to_metric_families(text)
            if family.name == "saas_probe_failures"
            for sample in family.samples
            if sample.name == "saas_probe_failures_total" and sample.labels["reason"] == "auth"
        )

    def _run(self, block: str) -> str:
        result = subprocess.run(
            ["/bin/bash", "-c", "set -eo pipefail\n" + self.substitute(block)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert result.returncode == 0, f"{block}\n--- stdout\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@pytest.fixture
def walkthrough(tmp_path) -> Iterator[Walkthrough]:
    for binary in ("prometheus", "prometheus-alertmanager", "promtool"):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} is not installed (make test installs it)")
    walk = Walkthrough(tmp_path)
    try:
        yield walk
    finally:
        walk.close()


def test_the_readme_s_commands_work_as_written(walkthrough):
    walk = walkthrough
    demo = [
        sys.executable,
        "-m",
        "saas_exporter",
        "demo",
        f"--web.listen-address=127.0.0.1:{walk.ports[9879]}",
        f"--simulator.listen-address=127.0.0.1:{walk.ports[9880]}",
        f"--app.listen-address=127.0.0.1:{walk.ports[9881]}",
    ]
    walk.start(demo, f"{walk.url(9879)}/-/ready")
    outputs: dict[str, str] = {}
    for block in shell_blocks():
        first = block.splitlines()[0]
        if first in NOT_RUN:
            continue
        if first.startswith(SERVERS):
            assert len(block.splitlines()) == 1, "a server block holds its command only"
            port = 9090 if first.startswith("prometheus ") else 9093
            walk.start(walk.substitute(first), f"{walk.url(port)}/-/ready", shell=True)
            if port == 9090:
                walk.wait_scraped(targets=2)
            continue
        outputs[first] = walk.run(block)
    demo_block = next(out for first, out in outputs.items() if first.startswith("curl -s 127"))
    # preflight and triage with Klaviyo's key revoked: a failed check, "ours"; each
    # prints its exit code and the README's `|| echo "exit $?"` prints it again.
    assert re.search(r"^preflight: FAILED \(.*, 1 failed; exit 1\)\nexit 1\n", demo_block, re.M)
    assert "\nklaviyo: INTEGRATION (cause=integration, exit 1)\n" in demo_block, demo_block
    assert demo_block.count("exit 1") == 4, demo_block
    assert "saas_api_requests_total{" in demo_block
    check = next(out for first, out in outputs.items() if "query=up" in first)
    assert '"job":"app"\n"job":"saas-exporter"\n' in check
    assert '"name":"SaasApiAuthErrors"' in check


def test_prometheus_example_loads_the_generated_rules_only():
    config = yaml.safe_load((REPO / "examples/prometheus/prometheus.yml").read_text())
    base = REPO / "examples/prometheus"
    files = sorted(
        Path(path).resolve().relative_to(REPO)
        for pattern in config["rule_files"]
        for path in glob.glob(str(base / pattern))
    )
    assert [str(f) for f in files] == sorted(
        str(p.relative_to(REPO)) for p in (REPO / "rules").glob("*.rules.yaml")
    )
    assert "rules/thresholds.yaml" not in {str(f) for f in files}
    thresholds = yaml.safe_load((REPO / "rules/thresholds.yaml").read_text())
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert jobs == [thresholds["settings"]["exporter_job"], "app"]
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (make test installs it)")
    result = subprocess.run(
        ["promtool", "check", "config", str(base / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_prometheus_snippet_is_the_example_s():
    example = yaml.safe_load((REPO / "examples/prometheus/prometheus.yml").read_text())
    snippet = next(yaml.safe_load(b) for b in yaml_blocks() if "rule_files:" in b)
    assert snippet["rule_files"] == example["rule_files"]
    assert snippet["alerting"] == example["alerting"]
    assert snippet["scrape_configs"] == example["scrape_configs"]


def test_grafana_provisioning_files():
    provisioning = REPO / "examples/grafana/provisioning"
    datasource = yaml.safe_load((provisioning / "datasources/saas-exporter.yaml").read_text())
    (source,) = datasource["datasources"]
    assert (datasource["apiVersion"], source["type"], source["url"]) == (
        1,
        "prometheus",
        "http://127.0.0.1:9090",
    )
    dashboards = yaml.safe_load((provisioning / "dashboards/saas-exporter.yaml").read_text())
    (provider,) = dashboards["providers"]
    assert (dashboards["apiVersion"], provider["type"]) == (1, "file")
    grafana_block = next(b for b in shell_blocks() if b.startswith("sudo mkdir -p /var/lib/"))
    assert f"sudo mkdir -p {provider['options']['path']}\n" in grafana_block
    assert f"sudo cp dashboards/*.json {provider['options']['path']}/\n" in grafana_block
    # The Dashboards section's provider snippet is this file's.
    snippet = next(yaml.safe_load(b) for b in yaml_blocks() if "providers:" in b)
    assert snippet == dashboards
