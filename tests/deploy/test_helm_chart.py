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
    assert {c["metadata"]["name"] for c in kinds["ConfigMap"]} == {"rel-genai-footprint", "rel-genai-footprint-proxy"}
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


def containers(docs: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in deployment(docs)["spec"]["template"]["spec"]["containers"]}


@pytest.mark.parametrize("values", [None, ALL_ON], ids=["defaults", "all-on"])
def test_deployment_is_hardened(helm, values):
    docs = render(helm, *(["-f", str(values)] if values else []))
    pod = deployment(docs)["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    both = containers(docs)
    assert set(both) == {"genai-footprint", "nginx"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for name, uid in (("genai-footprint", 10001), ("nginx", 101)):
        container = both[name]
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == uid, name
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False, name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        # Every place a container writes is an emptyDir with a size limit.
        for mount in container["volumeMounts"]:
            volume = volumes[mount["name"]]
            assert "emptyDir" in volume or mount.get("readOnly") is True, (name, mount)
            if "emptyDir" in volume:
                assert volume["emptyDir"]["sizeLimit"], (name, mount)
    gunicorn, nginx = both["genai-footprint"], both["nginx"]
    assert {"name": "tmp", "mountPath": "/tmp"} in gunicorn["volumeMounts"]
    # nginx writes its temporary files and its pid only to emptyDirs; its configuration comes read-only.
    nginx_mounts = {m["name"]: m for m in nginx["volumeMounts"]}
    assert set(nginx_mounts) == {"proxy-config", "proxy-tmp", "run"}
    assert nginx_mounts["proxy-config"]["readOnly"] is True
    assert volumes["proxy-config"]["configMap"]["name"] == "rel-genai-footprint-proxy"
    sa = next(d for d in docs if d["kind"] == "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False
    test_pod = next(d for d in docs if d["kind"] == "Pod")
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert "/readyz" in " ".join(test_pod["spec"]["containers"][0]["command"])
    assert test_pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_only_nginx_listens_outside_the_pod(helm):
    docs = render(helm, "-f", str(ALL_ON))
    both = containers(docs)
    assert "ports" not in both["genai-footprint"]
    assert both["nginx"]["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    config = service_config(docs)
    assert config["FOOTPRINT_BIND"] == "unix:/run/footprint/gunicorn.sock"
    (service,) = by_kind(docs)["Service"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    (policy,) = by_kind(docs)["NetworkPolicy"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_probes(helm):
    both = containers(render(helm))
    gunicorn, nginx = both["genai-footprint"], both["nginx"]
    # gunicorn: exec probes on its socket (kubelet cannot reach a unix socket); nginx: readiness through
    # nginx to /readyz (the pod takes traffic only when both answer), liveness of nginx itself.
    for probe in (gunicorn["livenessProbe"], gunicorn["startupProbe"]):
        command = probe["exec"]["command"]
        assert command[:3] == ["python", "-S", "-c"] and command[-1] == "/run/footprint/gunicorn.sock"
        assert "GET /healthz" in command[3]
    assert "readinessProbe" not in gunicorn
    assert nginx["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert nginx["livenessProbe"]["tcpSocket"] == {"port": "http"}


def test_the_socket_probe_answers_as_kubelet_expects(helm, tmp_path):
    """The exec probe, run as kubelet runs it, against gunicorn on a unix socket: 0 when healthy, else not."""
    import os
    import sys
    import time

    command = containers(render(helm))["genai-footprint"]["livenessProbe"]["exec"]["command"]
    socket_path = tmp_path / "gunicorn.sock"
    python = [sys.executable, *command[1:-1], str(socket_path)]
    assert subprocess.run(python, capture_output=True, timeout=30).returncode != 0  # nothing listening
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    env.update(FOOTPRINT_BIND=f"unix:{socket_path}", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--config", "python:service.gunicorn_conf", "service:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(python, capture_output=True, timeout=30).returncode != 0:
            assert time.monotonic() < deadline, "the probe never passed"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=40)


def test_rollouts_drain_both_containers_within_the_grace_period(helm):
    docs = render(helm)
    pod = deployment(docs)["spec"]["template"]["spec"]
    both = containers(docs)
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    sleep, quit_within = values["preStopSleepSeconds"], values["proxy"]["shutdownTimeout"]
    graceful = int(service_config(docs)["FOOTPRINT_GRACEFUL_TIMEOUT"])
    nginx_stop = both["nginx"]["lifecycle"]["preStop"]["exec"]["command"]
    gunicorn_stop = both["genai-footprint"]["lifecycle"]["preStop"]["exec"]["command"]
    # nginx: wait for the endpoints to drop, quit gracefully, wait until it has exited.
    assert nginx_stop[:2] == ["/bin/sh", "-c"]
    assert re.fullmatch(
        rf"sleep {sleep}; nginx -e stderr -c /etc/nginx/footprint/nginx.conf -s quit; "
        r"while \[ -e /run/footprint/nginx.pid \]; do sleep 1; done",
        nginx_stop[2],
    )
    # gunicorn: the same wait, then until nginx has gone (at most its shutdown timeout + 5 s); then SIGTERM.
    assert re.fullmatch(
        rf"sleep {sleep}; i=0; while \[ -e /run/footprint/nginx.pid \] && \[ \"\$i\" -lt {quit_within + 5} \]; "
        r"do sleep 1; i=\$\(\(i \+ 1\)\); done",
        gunicorn_stop[2],
    )
    assert f"worker_shutdown_timeout {quit_within}s;" in proxy_conf(docs)
    assert pod["terminationGracePeriodSeconds"] > sleep + quit_within + 5 + graceful
    message = render_fails(helm, "--set", "terminationGracePeriodSeconds=30")
    assert "terminationGracePeriodSeconds (30) must exceed" in message


def proxy_conf(docs: list[dict]) -> str:
    return next(d for d in by_kind(docs)["ConfigMap"] if d["metadata"]["name"].endswith("-proxy"))["data"]["nginx.conf"]


def service_config(docs: list[dict]) -> dict[str, str]:
    return next(d for d in by_kind(docs)["ConfigMap"] if not d["metadata"]["name"].endswith("-proxy"))["data"]


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
        "gunicorn.workerClass=buffered",
        "gunicorn.clientTimeout=10",
        "proxy.maxTempFileSize=64MB",
        "proxy.clientHeaderTimeout=0",
        "livenessProbe.httpGet.port=8080",
        "image.pullPolicy=Sometimes",
        "config.logLevel=LOUD",
        "unknownKey=1",
        "autoscaling.maxReplicas=0",
    ],
)
def test_schema_rejects_bad_values(helm, bad):
    assert "values don't meet the specifications of the schema" in render_fails(helm, "--set", bad)


def test_configmap_carries_every_setting_and_gunicorn_knob(helm):
    data = service_config(render(helm))
    settings_vars = {"FOOTPRINT_" + f.name.upper() for f in fields(Settings)}
    # API key hashes come from a Secret (auth.existingSecret); the data dir only when set.
    assert settings_vars - {"FOOTPRINT_API_KEY_HASHES", "FOOTPRINT_DATA_DIR"} <= set(data)
    conf_doc = (ROOT / "service" / "gunicorn_conf.py").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(FOOTPRINT_[A-Z_]+|PROMETHEUS_MULTIPROC_DIR)\s", conf_doc, flags=re.M))
    assert "FOOTPRINT_WORKERS" in documented
    # worker_tmp_dir defaults to /dev/shm, which Kubernetes provides; everything else is set by the chart.
    assert documented - {"FOOTPRINT_WORKER_TMP_DIR"} <= set(data)
    assert data["FOOTPRINT_BIND"] == "unix:/run/footprint/gunicorn.sock"
    assert data["FOOTPRINT_WORKER_CLASS"] == "gthread"
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
