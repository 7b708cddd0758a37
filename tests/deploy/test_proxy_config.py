"""One nginx.conf (helm/genai-footprint/files/nginx.conf), two renderings: the chart's ConfigMap and
scripts/proxied.py (`make run-proxied`, the tests, the benchmarks). They must give the same text."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "genai-footprint"
sys.path.insert(0, str(ROOT / "scripts"))

import proxied  # noqa: E402

TEMPLATE = (CHART / "files" / "nginx.conf").read_text(encoding="utf-8")

#: (helm --set arguments, the same as chart-value overrides for scripts/proxied.py)
VARIANTS = {
    "defaults": {},
    "limits-and-timeouts": {
        "config.maxBodyBytes": 2_000_000,
        "proxy.clientHeaderTimeout": 3,
        "proxy.sendTimeout": 7,
        "proxy.maxTempFileSize": "16m",
        "proxy.workerProcesses": 2,
        "containerPort": 9090,
    },
}


def helm_render(helm: str, overrides: dict, chart: Path = CHART) -> list[dict]:
    sets = [arg for path, value in overrides.items() for arg in ("--set", f"{path}={value}")]
    result = subprocess.run(
        [helm, "template", "rel", str(chart), *sets], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def pod_places(docs: list[dict]) -> dict[str, str]:
    """Where the rendered pod puts gunicorn's socket, nginx's pid and temporary files, and nginx's port: read from
    the Deployment and the gunicorn ConfigMap, not from the chart's helpers."""
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    spec = deployment["spec"]["template"]["spec"]
    nginx = next(c for c in spec["containers"] if c["name"] == "nginx")
    gunicorn = next(c for c in spec["containers"] if c["name"] != "nginx")
    mounts = {m["name"]: m["mountPath"] for m in nginx["volumeMounts"]}
    config = next(d for d in docs if d["kind"] == "ConfigMap" and "FOOTPRINT_BIND" in d.get("data", {}))["data"]
    socket = config["FOOTPRINT_BIND"].removeprefix("unix:")
    # The socket and the pid file live in the one volume both containers mount, at the same place.
    (shared,) = {(m["name"], m["mountPath"]) for m in gunicorn["volumeMounts"]} & set(mounts.items())
    assert shared[1] == str(Path(socket).parent)
    pid_file = re.search(r"-e (\S+nginx\.pid)", nginx["lifecycle"]["preStop"]["exec"]["command"][2]).group(1)
    assert str(Path(pid_file).parent) == shared[1]
    return {
        "listen": str(nginx["ports"][0]["containerPort"]),
        "socket": socket,
        "pidFile": pid_file,
        "tempDir": mounts["proxy-tmp"],
    }


def chart_nginx_conf(docs: list[dict]) -> str:
    (proxy,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-proxy")]
    return proxy["data"]["nginx.conf"]


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANTS)
def test_the_chart_and_make_run_proxied_render_the_same_configuration(helm, variant):
    overrides = VARIANTS[variant]
    docs = helm_render(helm, overrides)
    chart_text = chart_nginx_conf(docs)
    ours = proxied.render(TEMPLATE, proxied.chart_values(overrides), pod_places(docs))
    assert chart_text == ours
    assert not proxied.PLACEHOLDER.search(chart_text)
    for path, value in overrides.items():
        if path.startswith(("proxy.", "config.")):
            assert str(value) in chart_text, path


def test_the_values_reach_the_directives(helm):
    text = chart_nginx_conf(helm_render(helm, VARIANTS["limits-and-timeouts"]))
    for directive in (
        "client_max_body_size 2000000;",
        "client_header_timeout 3s;",
        "send_timeout 7s;",
        "proxy_max_temp_file_size 16m;",
        "worker_processes 2;",
        "listen 9090;",
        "server unix:/run/footprint/gunicorn.sock;",
        "proxy_request_buffering on;",
        "proxy_buffering on;",
    ):
        assert directive in text, directive
    assert "The request body is larger than the limit of 2000000 bytes." in text


def test_an_unknown_placeholder_stops_both_renderings(helm, tmp_path):
    chart = tmp_path / "genai-footprint"
    shutil.copytree(CHART, chart)
    conf = chart / "files" / "nginx.conf"
    conf.write_text(conf.read_text(encoding="utf-8") + "# @proxy.noSuchValue@\n", encoding="utf-8")
    result = subprocess.run([helm, "template", "rel", str(chart)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "no chart value @proxy.noSuchValue@" in result.stderr
    places = {"listen": "1", "socket": "/s", "pidFile": "/p", "tempDir": "/t"}
    with pytest.raises(proxied.RenderError, match="no chart value 'proxy.noSuchValue'"):
        proxied.render(conf.read_text(encoding="utf-8"), proxied.chart_values(), places)
    with pytest.raises(proxied.RenderError, match="no run value 'run.listen'"):
        proxied.render("listen @run.listen@;", {}, {})
    with pytest.raises(proxied.RenderError, match="is dict, not a number or a string"):
        proxied.render("x @proxy.image@;", proxied.chart_values(), {})


def test_the_rendered_configuration_is_valid_nginx(tmp_path):
    nginx = proxied.nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (make test-tools installs Debian's nginx with apt-get)")
    paths = proxied.write_config(tmp_path, "127.0.0.1:1")
    proxied.check_config(nginx, paths)


#: Headers the service reads, found in its code: `headers.get("X")`, `headers["X"]`, `"X" in request.headers`,
#: `environ.get("HTTP_X")`, `"HTTP_X" in environ`.
_READ = [
    r'headers\.get\(\s*"([A-Za-z0-9-]+)"',
    r'headers\[\s*"([A-Za-z0-9-]+)"\s*\](?!\s*=)',
    r'"([A-Za-z0-9-]+)"\s+in\s+request\.headers',
    r'environ\.get\(\s*"HTTP_([A-Z0-9_]+)"',
    r'"HTTP_([A-Z0-9_]+)"\s+(?:not\s+)?in\s+environ',
]


def headers_the_service_reads() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "service").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _READ:
            found |= {name.replace("_", "-").lower() for name in re.findall(pattern, text)}
    # What flask and werkzeug read for the service: the body's type and length, the host.
    return found | {"content-type", "content-length", "host"}


def test_nginx_passes_on_every_header_the_service_reads():
    """nginx sends gunicorn only the headers it names (proxy_pass_request_headers off): a header the service
    starts reading must be added there, or it would work on gunicorn alone and not behind the proxy."""
    assert "proxy_pass_request_headers off;" in TEMPLATE
    passed = {name.lower() for name in re.findall(r"^\s*proxy_set_header ([A-Za-z0-9-]+) ", TEMPLATE, re.M)}
    passed |= {"content-length"}  # nginx sets it for the whole body it passes on
    read = headers_the_service_reads()
    assert {"authorization", "x-api-key", "origin", "x-request-id", "access-control-request-method"} <= read
    assert read - {"transfer-encoding"} <= passed, sorted(read - passed)
