"""The Helm chart: lint --strict, render, validate offline against the Kubernetes schemas, hardening."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "genai-footprint"
ALL_ON = CHART / "ci" / "all-on-values.yaml"


def render(helm: str, *args: str, release: str = "rel") -> list[dict]:
    result = subprocess.run(
        [helm, "template", release, str(CHART), "--namespace", "footprint", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_fails(helm: str, *args: str) -> str:
    result = subprocess.run([helm, "template", "rel", str(CHART), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, "rendering was expected to fail"
    return result.stderr


def by_kind(docs: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    return kinds


# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and kubernetes-validate's newest.
KUBE_VERSIONS = ["1.25.0", None]


def validate(kubernetes_validate: str, docs: list[dict], kube_version: str | None) -> str:
    text = yaml.safe_dump_all(docs, sort_keys=False)
    args = [kubernetes_validate, "--strict", "--quiet"] + (["-k", kube_version] if kube_version else []) + ["-"]
    result = subprocess.run(args, input=text, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout + result.stderr
    return result.stdout


def deployment(docs: list[dict]) -> dict:
    (dep,) = by_kind(docs)["Deployment"]
    return dep


@pytest.mark.parametrize("values", [None, ALL_ON], ids=["defaults", "all-on"])
def test_helm_lint_strict(helm, values):
    args = [helm, "lint", "--strict", str(CHART)] + (["-f", str(values)] if values else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS, ids=lambda v: v or "latest")
def test_default_render_validates_strictly(helm, kubernetes_validate, kube_version):
    docs = render(helm)
    kinds = by_kind(docs)
    assert set(kinds) == {"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "Pod"}
    validate(kubernetes_validate, docs, kube_version)
    assert deployment(docs)["spec"]["replicas"] == 2


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS, ids=lambda v: v or "latest")
def test_all_on_render_validates_strictly(helm, kubernetes_validate, kube_version):
    docs = render(helm, "-f", str(ALL_ON))
    kinds = by_kind(docs)
    for kind in (
        "HorizontalPodAutoscaler",
        "Ingress",
        "ServiceMonitor",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Deployment",
        "Service",
        "ConfigMap",
        "ServiceAccount",
        "Pod",
    ):
        assert kind in kinds, kind
    # The ServiceMonitor CRD schema is not available offline: check it by hand, validate the rest.
    (monitor,) = kinds["ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]
    assert monitor["spec"]["selector"]["matchLabels"] == deployment(docs)["spec"]["selector"]["matchLabels"]
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    validate(kubernetes_validate, [d for d in docs if d["kind"] != "ServiceMonitor"], kube_version)

    assert "replicas" not in deployment(docs)["spec"]  # the HPA owns the replica count
    (hpa,) = kinds["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "rel-genai-footprint",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    (policy,) = kinds["NetworkPolicy"]
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    peers = policy["spec"]["ingress"][0]["from"]
    assert {"podSelector": {"matchLabels": {"rel-genai-footprint-client": "true"}}} in peers
    (test_pod,) = kinds["Pod"]
    assert test_pod["metadata"]["labels"]["rel-genai-footprint-client"] == "true"
    (ingress,) = kinds["Ingress"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "rel-genai-footprint"
    env = {e["name"]: e for e in deployment(docs)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FOOTPRINT_API_KEY_HASHES"]["valueFrom"]["secretKeyRef"]["name"] == "footprint-api-keys"


@pytest.mark.parametrize("values", [None, ALL_ON], ids=["defaults", "all-on"])
def test_deployment_is_hardened(helm, values):
    docs = render(helm, *(["-f", str(values)] if values else []))
    pod = deployment(docs)["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
    assert "emptyDir" in tmp
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    # gunicorn drains within the grace period
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + int(config["FOOTPRINT_GRACEFUL_TIMEOUT"])
    sa = next(d for d in docs if d["kind"] == "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False
    test_pod = next(d for d in docs if d["kind"] == "Pod")
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert "/readyz" in " ".join(test_pod["spec"]["containers"][0]["command"])
    assert test_pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_pdb_only_with_more_than_one_replica_or_autoscaling(helm):
    assert "PodDisruptionBudget" not in by_kind(render(helm, "--set", "replicaCount=1"))
    assert "PodDisruptionBudget" in by_kind(render(helm, "--set", "replicaCount=2"))
    autoscaled = by_kind(render(helm, "--set", "replicaCount=1", "--set", "autoscaling.enabled=true"))
    assert "PodDisruptionBudget" in autoscaled and "HorizontalPodAutoscaler" in autoscaled
    (pdb,) = by_kind(render(helm, "--set", "podDisruptionBudget.maxUnavailable=1"))["PodDisruptionBudget"]
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": pdb["spec"]["selector"]}


def test_names_are_release_scoped_with_standard_labels(helm):
    for release in ("alpha", "beta"):
        for doc in render(helm, release=release):
            assert doc["metadata"]["name"].startswith(f"{release}-genai-footprint"), doc["metadata"]["name"]
            labels = doc["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] == "genai-footprint"
            assert labels["app.kubernetes.io/instance"] == release
            assert labels["app.kubernetes.io/managed-by"] == "Helm"
            assert labels["app.kubernetes.io/version"] == "1.0.0"
            assert labels["helm.sh/chart"] == "genai-footprint-0.1.0"


@pytest.mark.parametrize(
    "bad",
    [
        "replicaCount=0",
        "gunicorn.workerClass=gevent",
        "image.pullPolicy=Sometimes",
        "config.logLevel=LOUD",
        "unknownKey=1",
        "autoscaling.maxReplicas=0",
    ],
)
def test_schema_rejects_bad_values(helm, bad):
    assert "values don't meet the specifications of the schema" in render_fails(helm, "--set", bad)


def test_configmap_carries_every_setting_and_gunicorn_knob(helm):
    data = next(d for d in render(helm) if d["kind"] == "ConfigMap")["data"]
    settings_vars = {"FOOTPRINT_" + f.name.upper() for f in fields(Settings)}
    # API key hashes come from a Secret (auth.existingSecret); the data dir only when set.
    assert settings_vars - {"FOOTPRINT_API_KEY_HASHES", "FOOTPRINT_DATA_DIR"} <= set(data)
    conf_doc = (ROOT / "service" / "gunicorn_conf.py").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(FOOTPRINT_[A-Z_]+|PROMETHEUS_MULTIPROC_DIR)\s", conf_doc, flags=re.M))
    assert "FOOTPRINT_WORKERS" in documented
    # worker_tmp_dir defaults to /dev/shm, which Kubernetes provides; everything else is set by the chart.
    assert documented - {"FOOTPRINT_WORKER_TMP_DIR"} <= set(data)
    assert data["FOOTPRINT_BIND"] == "0.0.0.0:8080"
    assert data["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert all(isinstance(v, str) for v in data.values())


def _leaf_keys(values: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and not key.endswith("Probe"):
            keys += _leaf_keys(value, path)
        else:
            keys.append(path)
    return keys


def test_readme_lists_every_value_and_schema_covers_them():
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    for key in _leaf_keys(values):
        assert f"`{key}`" in readme, f"helm/genai-footprint/README.md does not list {key}"
    assert set(values) == set(schema["properties"])
