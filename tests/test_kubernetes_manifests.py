"""deploy/kubernetes/: a kustomize base whose every manifest is valid against its schema
(Kubernetes' own, or the vendored prometheus-operator CRDs), wired consistently: the
config the ConfigMap holds loads, the paths line up, the routing matches
alertmanager/alertmanager.yml."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from saas_exporter.config import load_config
from tests.kubernetes_schemas import CrdLoader, problems

REPO = Path(__file__).resolve().parent.parent
BASE = REPO / "deploy" / "kubernetes"
EXAMPLES = {"secret.example.yaml", "alerting-secret.example.yaml"}


def manifests(*paths: Path) -> list[dict]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(docs: list[dict]) -> dict[str, dict]:
    return {doc["kind"]: doc for doc in docs}


def kustomize(directory: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    built = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.load_all(built.stdout, CrdLoader) if doc]


def test_the_kustomization_lists_every_manifest_and_each_resolves():
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - EXAMPLES
    for name in listed:
        assert manifests(BASE / name), name
    component = yaml.safe_load((BASE / "podmonitor" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert component["resources"] == ["podmonitor.yaml"]


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(BASE).as_posix()
        for p in BASE.rglob("*.yaml")
        if p.name != "kustomization.yaml"
    ),
)
def test_every_manifest_is_valid_against_its_schema(path):
    docs = manifests(BASE / path)
    assert docs
    assert [problem for doc in docs for problem in problems(doc)] == []


def test_the_schemas_refuse_mistakes():
    monitor = by_kind(manifests(BASE / "servicemonitor.yaml"))["ServiceMonitor"]
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert problems(monitor) == [
        "ServiceMonitor spec.endpoints.0: Additional properties are not allowed "
        "('intervall' was unexpected)"
    ]
    deployment = by_kind(manifests(BASE / "deployment.yaml"))["Deployment"]
    deployment["spec"]["replicas"] = "one"
    assert problems(deployment) == [
        "Deployment spec.replicas: 'one' is not of type 'integer', 'null'"
    ]


def test_kubectl_apply_k_builds_the_base():
    kinds = sorted(doc["kind"] for doc in kustomize(BASE))
    assert kinds == [
        "AlertmanagerConfig",
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "PrometheusRule",
        "Service",
        "ServiceMonitor",
    ]


def test_the_podmonitor_component_replaces_the_servicemonitor(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # kustomize wants paths relative to the overlay
                "resources": [os.path.relpath(BASE, overlay)],
                "components": [os.path.relpath(BASE / "podmonitor", overlay)],
            }
        )
    )
    kinds = [doc["kind"] for doc in kustomize(overlay)]
    assert "PodMonitor" in kinds and "ServiceMonitor" not in kinds


def test_the_deployment_is_locked_down_and_wired_to_its_config_and_keys(tmp_path):
    deployment = by_kind(manifests(BASE / "deployment.yaml"))["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert set(container["resources"]) == {"requests", "limits"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["keys"]["secret"]["defaultMode"] == 0o400
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert all(m["readOnly"] for m in mounts.values())
    # The config the ConfigMap holds is valid, and its key files are where the Secret is.
    configmap = by_kind(manifests(BASE / "configmap.yaml"))["ConfigMap"]
    secret = by_kind(manifests(BASE / "secret.example.yaml"))["Secret"]
    assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert volumes["keys"]["secret"]["secretName"] == secret["metadata"]["name"]
    config_flag = next(a for a in container["args"] if a.startswith("--config.file="))
    config_path = config_flag.split("=", 1)[1]
    assert config_path == f"{mounts['config']['mountPath']}/config.yml"
    keys_dir = mounts["keys"]["mountPath"]
    text = configmap["data"]["config.yml"].replace(keys_dir, str(tmp_path))
    for name, key in secret["stringData"].items():
        (tmp_path / name).write_text(key)
    (tmp_path / "config.yml").write_text(text)
    config = load_config(tmp_path / "config.yml")
    key_files = [a.key_file for v in config.vendors for a in v.accounts]
    assert key_files == [tmp_path / name for name in secret["stringData"]]


def test_prometheus_selects_the_monitor_and_the_rules():
    monitor = by_kind(manifests(BASE / "servicemonitor.yaml"))["ServiceMonitor"]
    rule = by_kind(manifests(BASE / "saas-exporter-prometheusrule.yaml"))["PrometheusRule"]
    podmonitor = by_kind(manifests(BASE / "podmonitor" / "podmonitor.yaml"))["PodMonitor"]
    release = monitor["metadata"]["labels"]["release"]
    assert rule["metadata"]["labels"]["release"] == release
    assert podmonitor["metadata"]["labels"]["release"] == release
    thresholds = yaml.safe_load((REPO / "rules" / "thresholds.yaml").read_text())
    assert thresholds["settings"]["kubernetes"]["labels"]["release"] == release
    service = by_kind(manifests(BASE / "service.yaml"))["Service"]
    # up{job=...} in SaasExporterDown: the job is the Service's jobLabel value.
    job = service["metadata"]["labels"][monitor["spec"]["jobLabel"]]
    assert job == thresholds["settings"]["exporter_job"]


def test_the_alertmanagerconfig_routes_as_alertmanager_yml():
    plain = yaml.safe_load((REPO / "alertmanager" / "alertmanager.yml").read_text())
    operator = by_kind(manifests(BASE / "alertmanagerconfig.yaml"))["AlertmanagerConfig"]
    route = operator["spec"]["route"]
    assert (route["receiver"], route["groupBy"]) == (
        plain["route"]["receiver"],
        plain["route"]["group_by"],
    )

    def routes(items, matchers, timing):
        return [(matchers(r), r["receiver"], *(r.get(k) for k in timing)) for r in items]

    assert routes(
        route["routes"],
        lambda r: [f'{m["name"]}{m["matchType"]}"{m["value"]}"' for m in r["matchers"]],
        ("groupWait", "groupInterval", "repeatInterval", "activeTimeIntervals"),
    ) == routes(
        plain["route"]["routes"],
        lambda r: r["matchers"],
        ("group_wait", "group_interval", "repeat_interval", "active_time_intervals"),
    )
    assert sorted(r["name"] for r in operator["spec"]["receivers"]) == sorted(
        r["name"] for r in plain["receivers"]
    )
    for receiver, original in zip(
        sorted(operator["spec"]["receivers"], key=lambda r: r["name"]),
        sorted(plain["receivers"], key=lambda r: r["name"]),
        strict=True,
    ):
        assert [c["channel"] for c in receiver.get("slackConfigs", [])] == [
            c["channel"] for c in original.get("slack_configs", [])
        ]
        assert [c["severity"] for c in receiver.get("pagerdutyConfigs", [])] == [
            c["severity"] for c in original.get("pagerduty_configs", [])
        ]
    (inhibit,) = operator["spec"]["inhibitRules"]
    assert inhibit["equal"] == plain["inhibit_rules"][0]["equal"]


SHARDED = REPO / "deploy" / "overlays" / "sharded"


@pytest.mark.parametrize("name", ["statefulset.yaml", "service-shards.yaml"])
def test_the_sharded_overlays_manifests_are_valid(name):
    assert [problem for doc in manifests(SHARDED / name) for problem in problems(doc)] == []


def test_the_sharded_overlay_runs_a_statefulset_whose_shard_count_is_its_replicas():
    docs = kustomize(SHARDED)
    kinds = sorted(doc["kind"] for doc in docs)
    assert "Deployment" not in kinds and kinds.count("StatefulSet") == 1
    sts = by_kind(docs)["StatefulSet"]
    args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == f"--shard.count={sts['spec']['replicas']}"
    assert not any(arg.startswith("--shard.index") for arg in args)  # the pod ordinal
    # The ServiceMonitor selects the base Service only: each pod scraped once.
    services = [doc for doc in docs if doc["kind"] == "Service"]
    monitor = by_kind(docs)["ServiceMonitor"]["spec"]["selector"]["matchLabels"]
    selected = [s for s in services if monitor.items() <= s["metadata"]["labels"].items()]
    assert [s["metadata"]["name"] for s in selected] == ["saas-exporter"]
    assert sts["spec"]["serviceName"] in {s["metadata"]["name"] for s in services}


def test_the_statefulsets_pod_is_the_deployments_plus_the_shard_count():
    deployment = by_kind(manifests(BASE / "deployment.yaml"))["Deployment"]
    sts = by_kind(manifests(SHARDED / "statefulset.yaml"))["StatefulSet"]
    pod, sharded = deployment["spec"]["template"], sts["spec"]["template"]
    args = sharded["spec"]["containers"][0].pop("args")
    assert args[:-1] == pod["spec"]["containers"][0].pop("args")
    assert args[-1].startswith("--shard.count=")
    assert sharded == pod
