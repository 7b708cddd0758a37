"""What the client tests share: workloads, the e2e gunicorn starter, and stub servers (a recorder, a proxy
that fails on purpose). Imported as ``clientsupport``: the test folders are not packages."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "client-test-key"

# tests/e2e/servers.py starts gunicorn the way every end-to-end test does; loaded by its path.
_spec = importlib.util.spec_from_file_location("e2e_servers", ROOT / "tests" / "e2e" / "servers.py")
assert _spec is not None and _spec.loader is not None
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

TRAINING = {
    "model": {"preset": "llama-3.1-8b"},
    "training_tokens_billion": 15000,
    "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1024},
    "datacenter": {"provider": "aws", "region": "us-east-1"},
}
FINE_TUNING = {
    "model": {"preset": "llama-1-65b"},
    "method": "qlora",
    "dataset_tokens_million": 10,
    "epochs": 3,
    "hardware": {"accelerator": "nvidia-l40s"},
    "datacenter": {"country": "US"},
}
INFERENCE = {
    "model": {"preset": "llama-3.1-8b"},
    "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
    "requests": 1000000,
    "datacenter": {"provider": "aws", "region": "us-east-1"},
}
WORKLOADS = {"training": TRAINING, "fine-tuning": FINE_TUNING, "inference": INFERENCE}


def command_path() -> str:
    script = Path(sys.executable).with_name("genai-footprint")
    if not script.exists():
        pytest.fail("genai-footprint is not installed beside this Python: `make test` installs ./client (editable)")
    return str(script)


def free_port() -> int:
    return int(e2e.free_port())


@dataclass
class Seen:
    """One request as a stub server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Stub:
    """A stub server: each request is recorded in ``seen`` and answered by ``respond``; the first ``drop``
    connections are closed without an answer (a connection error for the client)."""

    respond: Callable[[Seen], Answer]
    drop: int = 0
    seen: list[Seen] = field(default_factory=list)
    base: str = ""


class Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        stub: Stub = self.server.stub  # type: ignore[attr-defined]
        if stub.drop > 0:
            stub.drop -= 1
            self.rfile.readline()  # the request line has arrived; close without a word
            return
        super().handle()


def wsgi_app(stub: Stub) -> Callable[[dict, Callable], Iterable[bytes]]:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        seen = Seen(
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            headers,
            environ["wsgi.input"].read(length),
        )
        stub.seen.append(seen)
        status, answer_headers, body = stub.respond(seen)
        start_response(
            f"{status} {HTTPStatus(status).phrase}", [*answer_headers.items(), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def problem(status: int, title: str, **fields: Any) -> bytes:
    return json.dumps({"type": "about:blank", "title": title, "status": status, "detail": title, **fields}).encode()


def forward(base: str, strip_prefix: str = "") -> Callable[[Seen], Answer]:
    """Answer as the real service at ``base`` does: the stub is a proxy in front of it."""

    def respond(seen: Seen) -> Answer:
        url = base + seen.path.removeprefix(strip_prefix) + (f"?{seen.query}" if seen.query else "")
        headers = {k: v for k, v in seen.headers.items() if k in ("Content-Type", "Authorization", "Accept")}
        with contextlib.closing(requests.request(seen.method, url, data=seen.body, headers=headers, timeout=30)) as r:
            return r.status_code, {"Content-Type": r.headers.get("Content-Type", "application/json")}, r.content

    return respond


def failing(base: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> Callable[[Seen], Answer]:
    """The first ``times`` requests get ``status`` (a problem+json); later ones are forwarded to the service."""
    passthrough = forward(base)
    answered = [0]

    def respond(seen: Seen) -> Answer:
        answered[0] += 1
        if answered[0] <= times:
            return status, {"Content-Type": "application/problem+json", **(headers or {})}, problem(status, "Stub")
        return passthrough(seen)

    return respond
