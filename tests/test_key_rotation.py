"""Key rotation on a running exporter, the way Kubernetes updates a mounted Secret (a
fresh ..<timestamp> directory, then the ..data symlink swapped to it): the next probe
uses the new key, 401 turns 200 within one interval, same process."""

from __future__ import annotations

import os
from pathlib import Path

from saas_tools.stack.polling import poll

from tests.live_exporter import samples, start_exporter, start_simulator, value, write_config

OLD_KEY = "pk_sim_revoked_0001"  # the simulator answers 401 for a revoked key
NEW_KEY = "pk_sim_ROT001"  # answers for account ROT001
LABELS = {"vendor": "klaviyo", "account": "main", "probe": "accounts"}


def project_secret(secret_dir: Path, version: str, key: str) -> None:
    """What the kubelet does: write the new files, then swap ..data atomically."""
    data = secret_dir / f"..{version}"
    data.mkdir()
    (data / "klaviyo-key").write_text(key + "\n")
    (secret_dir / "..data_tmp").symlink_to(data.name)
    os.replace(secret_dir / "..data_tmp", secret_dir / "..data")
    link = secret_dir / "klaviyo-key"
    if not link.is_symlink():
        link.symlink_to("..data/klaviyo-key")


def probe_state(url: str) -> tuple[float, float, float | None]:
    found = samples(url)
    return (
        value(found, "saas_probe_runs_total", **LABELS) or 0.0,
        value(found, "saas_probe_http_status_code", **LABELS),
        value(
            found, "saas_exporter_key_last_load_timestamp_seconds", vendor="klaviyo", account="main"
        ),
    )


def state_when(url: str, condition):
    state = probe_state(url)
    return state if condition(state) else None


def test_a_rotated_secret_is_used_at_the_next_probe(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    project_secret(secret, "2026_11_30_10_00_00.1", OLD_KEY)
    simulator = start_simulator()
    path = write_config(
        tmp_path / "config.yml",
        {
            "vendors": [
                {
                    "name": "klaviyo",
                    "kind": "klaviyo",
                    "api_url": simulator.url,
                    "statuspage_url": None,
                    "timeout": "500ms",
                    "intervals": {"accounts": "1s", "profiles": "1h"},
                    "rate_limits_per_minute": {"accounts": 6000},
                    "accounts": [{"name": "main", "api_key_file": "secret/klaviyo-key"}],
                }
            ]
        },
    )
    exporter = start_exporter(path, tmp_path)
    try:
        runs, _, loaded_at = poll(
            lambda: state_when(exporter.url, lambda s: s[1] == 401),
            10,
            "the revoked key's 401",
        )
        pid = exporter.proc.pid

        project_secret(secret, "2026_11_30_10_05_00.2", NEW_KEY)
        # The run in flight at the swap may still carry the old key; the one after it
        # starts after the swap, one interval later at most.
        after = poll(
            lambda: state_when(exporter.url, lambda s: s[0] >= runs + 2),
            10,
            "two more probes",
            describe=exporter.log_text,
        )
        assert after[1] == 200.0
        assert after[2] > loaded_at
        assert exporter.proc.poll() is None and exporter.proc.pid == pid
        found = samples(exporter.url)
        account = value(
            found,
            "saas_account_info",
            vendor="klaviyo",
            account="main",
            account_id="ROT001",
            test_account="unknown",
        )
        assert account == 1.0 or any(
            name == "saas_account_info" and dict(labels).get("account_id") == "ROT001"
            for name, labels in found
        )
        log = exporter.log_text()
        assert "key file re-read" in log
        assert NEW_KEY not in log and "revoked_0001" not in log
    finally:
        exporter.stop()
        simulator.stop()
