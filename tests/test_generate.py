"""The generator: drift detection, vendors as data, and tests that can fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from saas_pack import generate, holds, thresholds
from saas_pack.__main__ import main

CLAY = {
    "name": "clay",
    "kind": "clay",
    "in_app": True,
    "overrides": {
        "SaasApiRateLimited": {"threshold": 2, "for": "10m"},
        "SaasWebhookSignatureInvalid": {"enabled": False},
    },
}


def with_vendor(document: dict, vendor: dict) -> None:
    """Put a test's version of a vendor in the table, replacing the table's own."""
    document["vendors"] = [v for v in document["vendors"] if v["name"] != vendor["name"]]
    document["vendors"].append(vendor)


def write_table(root: Path, document: dict) -> None:
    (root / "rules/thresholds.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: run scripts/system-deps.sh")
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)


def test_generate_then_check_is_clean(pack_root, capsys):
    assert main(["generate", "--root", str(pack_root)]) == 0
    assert main(["check", "--root", str(pack_root)]) == 0
    assert capsys.readouterr().err == ""


def test_check_shows_a_hand_edit_as_a_diff(pack_root, capsys):
    main(["generate", "--root", str(pack_root)])
    path = pack_root / "rules/saas-in-app.rules.yaml"
    path.write_text(path.read_text().replace("severity: critical", "severity: warning", 1))
    assert main(["check", "--root", str(pack_root)]) == 1
    out = capsys.readouterr()
    assert "--- rules/saas-in-app.rules.yaml (on disk)" in out.out
    assert "-      severity: warning\n+      severity: critical\n" in out.out
    assert out.err == "generated files are out of date: run `make generate`\n"


def test_check_reports_missing_and_stale_generated_files(pack_root, capsys):
    main(["generate", "--root", str(pack_root)])
    (pack_root / "docs/runbooks/klaviyo/SaasApiAuthErrors.md").unlink()
    (pack_root / "docs/runbooks/klaviyo/SaasRetired.md").write_text("old\n")
    assert main(["check", "--root", str(pack_root)]) == 1
    out = capsys.readouterr().out
    assert "+++ docs/runbooks/klaviyo/SaasApiAuthErrors.md (generated)" in out
    assert "--- docs/runbooks/klaviyo/SaasRetired.md (on disk)" in out
    assert main(["generate", "--root", str(pack_root)]) == 0
    assert not (pack_root / "docs/runbooks/klaviyo/SaasRetired.md").exists()


def test_check_ignores_files_the_generator_does_not_own(pack_root):
    main(["generate", "--root", str(pack_root)])
    (pack_root / "promtool-tests/scenarios.yaml").write_text("tests: []\n")
    (pack_root / "rules/notes.txt").write_text("scratch\n")
    assert main(["check", "--root", str(pack_root)]) == 0


def test_a_new_vendor_with_overrides_is_data_only(pack_root, document, schema):
    with_vendor(document, CLAY)
    write_table(pack_root, document)
    table = thresholds.parse(document, schema)
    files = generate.render(table)
    in_app = yaml.safe_load(files["rules/saas-in-app.rules.yaml"])["groups"][0]["rules"]
    rate_limited = [rule for rule in in_app if rule.get("alert") == "SaasApiRateLimited"]
    # Its cause can change while it waits: the wait is in the expression (holds.py).
    assert [holds.hold_seconds(rule) for rule in rate_limited] == [300, 600]
    assert [rule["for"] for rule in rate_limited] == ["0m", "0m"]
    assert 'vendor!~"clay", code="429"' in rate_limited[0]["expr"]
    assert '{vendor="clay", code="429"}[5m])) / 5 > 2)' in rate_limited[1]["expr"]
    webhook = [rule for rule in in_app if rule.get("alert") == "SaasWebhookSignatureInvalid"]
    assert len(webhook) == 1 and 'vendor!~"clay"' in webhook[0]["expr"]
    # Clay has no headroom probe: no probe-latency page; it has in-app and status pages,
    # and an account-mismatch page (its api probe checks an account id when configured).
    assert "docs/runbooks/clay/SaasProbeHighLatency.md" not in files
    assert "docs/runbooks/clay/SaasAccountMismatch.md" in files
    assert "docs/runbooks/clay/SaasApiRateLimited.md" in files
    assert "docs/runbooks/clay/SaasWebhookSignatureInvalid.md" not in files
    assert "clay" in files["docs/runbooks/clay/SaasApiRateLimited.md"].lower()
    assert (
        "throttled requests per minute > 2 for 10m"
        in files["docs/runbooks/clay/SaasApiRateLimited.md"]
    )
    generate.write(pack_root, files)
    # The in-app tests exercise both the default rule and Clay's override rule.
    result = promtool(
        "test", "rules", "generated-saas-in-app.yaml", cwd=pack_root / "promtool-tests"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def only_the_tests_of(alertname: str, path: Path) -> None:
    """Keep the test groups of one alert: the others run unchanged rules (`make
    rules-check` runs them all), and the whole file is ~40 s of promtool."""
    document = yaml.safe_load(path.read_text())
    document["tests"] = [
        group
        for group in document["tests"]
        if alertname in {case["alertname"] for case in group.get("alert_rule_test", [])}
    ]
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_the_generated_promtool_tests_catch_a_changed_threshold(pack_root):
    main(["generate", "--root", str(pack_root)])
    path = pack_root / "rules/saas-in-app.rules.yaml"
    path.write_text(path.read_text().replace("[5m])) / 5 > 5)", "[5m])) / 5 > 6)"))
    only_the_tests_of("SaasApiRateLimited", pack_root / "promtool-tests/generated-saas-in-app.yaml")
    result = promtool(
        "test", "rules", "generated-saas-in-app.yaml", cwd=pack_root / "promtool-tests"
    )
    assert result.returncode == 1
    # Fires one minute late: per-minute 429s sit at 6 (not above 6) until the 5-minute
    # window holds two minutes of the ABOVE phase.
    assert "alertname: SaasApiRateLimited, time: 15m" in result.stderr
