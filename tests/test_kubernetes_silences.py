"""deploy/kubernetes/silences-sync/: the CronJob component, valid against the Kubernetes
schemas, built by kustomize on the base, and wired to the exporter's own ConfigMap
without any key."""

from __future__ import annotations

import os

import yaml

from saas_exporter.cli import build_parser
from saas_exporter.config import load_config
from tests.kubernetes_schemas import problems
from tests.test_kubernetes_manifests import BASE, by_kind, kustomize, manifests

COMPONENT = BASE / "silences-sync"


def test_the_component_lists_its_manifests_and_each_is_valid():
    kustomization = yaml.safe_load((COMPONENT / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Component"
    on_disk = {p.name for p in COMPONENT.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk == {"cronjob.yaml", "networkpolicy.yaml"}
    for name in on_disk:
        docs = manifests(COMPONENT / name)
        assert [problem for doc in docs for problem in problems(doc)] == []


def test_an_overlay_with_the_component_builds(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(BASE, overlay)],
                "components": [os.path.relpath(COMPONENT, overlay)],
            }
        )
    )
    built = kustomize(overlay)
    assert sorted(d["kind"] for d in built if d["kind"] in ("CronJob", "NetworkPolicy")) == [
        "CronJob",
        "NetworkPolicy",
        "NetworkPolicy",
    ]


def test_the_cronjob_runs_the_sync_on_the_exporters_config_without_keys(tmp_path):
    cronjob = by_kind(manifests(COMPONENT / "cronjob.yaml"))["CronJob"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    # The image's entrypoint is saas-exporter: the args are the command line.
    args = build_parser().parse_args(container["args"])
    assert (args.command, args.action, args.dry_run) == ("silences", "sync", False)
    assert args.alertmanager_url.startswith("http://")
    # Only the config is mounted, from the exporter's own ConfigMap; no Secret.
    (volume,) = pod["volumes"]
    configmap = by_kind(manifests(BASE / "configmap.yaml"))["ConfigMap"]
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]
    (mount,) = container["volumeMounts"]
    assert args.config_file == f"{mount['mountPath']}/config.yml"
    (tmp_path / "config.yml").write_text(configmap["data"]["config.yml"])
    config = load_config(tmp_path / "config.yml", keys=False)
    assert [v.name for v in config.vendors] == ["klaviyo"]


def test_the_sync_pods_reach_only_dns_status_pages_and_alertmanager():
    policy = by_kind(manifests(COMPONENT / "networkpolicy.yaml"))["NetworkPolicy"]
    cronjob = by_kind(manifests(COMPONENT / "cronjob.yaml"))["CronJob"]
    labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"] == labels
    assert policy["spec"]["ingress"] == []
    ports = sorted(p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"])
    assert ports == [53, 53, 443, 9093]
    # The exporter's own policy does not select the sync's pods.
    base = by_kind(manifests(BASE / "networkpolicy.yaml"))["NetworkPolicy"]
    assert base["spec"]["podSelector"]["matchLabels"] != labels
