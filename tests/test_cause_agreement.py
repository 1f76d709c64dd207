"""One cause rule everywhere: the rule pack's PromQL (on promtool), `saas-exporter
triage`'s decision and the runbooks' worked examples give the verdict
saas_exporter.cause gives, case by case (tests/cause_cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from saas_pack import cause_docs, rules, thresholds, yamlio

from saas_exporter import cause
from saas_exporter.oncall.decision import decide
from saas_exporter.oncall.observe import ProbeObservation, StatusPageObservation, VendorEvidence
from tests.cause_cases import CASES, CauseCase
from tests.conftest import REPO
from tests.test_generate import promtool

EVAL_MINUTE = 10


def _series(name: str, labels: dict[str, str], value: float) -> dict[str, str]:
    text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{text}}}", "values": f"{value:g}x{EVAL_MINUTE}"}


def world(vendor: str, case: CauseCase) -> list[dict[str, str]]:
    """The exporter's series for the case: its page, its accounts and their failures."""
    series = []
    page = case.page
    statuspage = {"vendor": vendor, "account": "", "probe": "statuspage"}
    series.append(_series("saas_probe_success", statuspage, 0 if page is None else 1))
    if page is not None:
        for indicator in ("none", "minor", "major", "critical", "maintenance"):
            labels = {"vendor": vendor, "indicator": indicator}
            series.append(_series("saas_statuspage_indicator", labels, page.indicator == indicator))
        for name, status in page.components.items():
            labels = {"vendor": vendor, "component": name, "group": "", "status": status}
            series.append(_series("saas_statuspage_component_status", labels, 1))
    for name in page.api_components if page else ("Klaviyo API",):
        labels = {"vendor": vendor, "component": name}
        series.append(_series("saas_statuspage_api_component_info", labels, 1))
    for account, reason in case.accounts.items():
        probe = {"vendor": vendor, "account": account, "probe": "profiles"}
        series.append(_series("saas_probe_interval_seconds", probe, 30))
        series.append(_series("saas_probe_success", probe, 0 if reason else 1))
        if reason:
            series.append(_series("saas_probe_failing", {**probe, "reason": reason}, 1))
    return series


def checks(vendor: str, case: CauseCase) -> list[dict]:
    """Each failing account's page carries the case's cause; the recording rule is 1
    exactly when the page is the evidence."""
    alerts = "SaasProbeAuthFailing|SaasProbeUnreachable"
    firing = f'ALERTS{{alertstate="firing",vendor="{vendor}",alertname=~"{alerts}"}}'
    cause_label = "vendor" if case.want else "integration"
    labels = f'{{vendor="{vendor}",cause="{cause_label}"}}'
    found = [
        {
            "expr": f"count by (vendor, cause) ({firing})",
            "eval_time": f"{EVAL_MINUTE}m",
            "exp_samples": [{"labels": labels, "value": len(case.failing)}],
        }
    ]
    from_page = case.want in ("incident", "maintenance")
    found.append(
        {
            "expr": f'saas:vendor_incident:bool{{vendor="{vendor}"}}',
            "eval_time": f"{EVAL_MINUTE}m",
            "exp_samples": (
                [{"labels": f'saas:vendor_incident:bool{{vendor="{vendor}"}}', "value": 1}]
                if from_page
                else []
            ),
        }
    )
    return found


def test_the_rules_agree_with_the_python_rule_on_every_case(tmp_path: Path):
    table = thresholds.load(REPO)
    for path, content in rules.rule_files(table).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(yamlio.dump(content))
    vendors = {f"case{index}": case for index, case in enumerate(CASES)}
    test_file = {
        "rule_files": [str(tmp_path / path) for path in rules.rule_files(table)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [s for v, case in vendors.items() for s in world(v, case)],
                "promql_expr_test": [c for v, case in vendors.items() for c in checks(v, case)],
            }
        ],
    }
    (tmp_path / "agreement.yaml").write_text(yamlio.dump(test_file))
    result = promtool("test", "rules", "agreement.yaml", cwd=tmp_path)
    names = {v: case.name for v, case in vendors.items()}
    assert result.returncode == 0, f"cases: {names}\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("example", cause_docs.EXAMPLES, ids=lambda e: e.title)
def test_the_runbooks_worked_examples_are_the_rules_verdicts(example):
    side = cause.vendor_side(example.page, example.failing, example.accounts)
    assert (side is not None) == (example.label == "vendor")


def triage_evidence(case: CauseCase) -> VendorEvidence:
    """What triage would observe for the case (the same series, as triage reads them)."""
    evidence = VendorEvidence("klaviyo", "test")
    for account, reason in case.accounts.items():
        evidence.probes.append(ProbeObservation(account, "profiles", reason is None, reason))
    page = case.page
    if page is None:
        evidence.statuspage = StatusPageObservation(False, reason="server_error", error="503")
    else:
        evidence.statuspage = StatusPageObservation(
            True,
            page.indicator,
            components=tuple(page.components.items()),
            api_components=page.api_components,
        )
    return evidence


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_triage_agrees_with_the_python_rule(case: CauseCase):
    decision = decide(triage_evidence(case))
    # Vendor-side exactly when the rule says so (which of ours it is otherwise depends
    # on more than the vendor's evidence: timeouts alone are the network branch).
    assert (decision.branch.cause == "vendor") == (case.want is not None)
