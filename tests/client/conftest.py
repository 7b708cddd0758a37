"""Fixtures of the client tests: the real gunicorn (as tests/e2e starts it), one requiring an API key, the
installed ``genai-footprint`` command run as a subprocess, and stub servers on loopback ports."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

import pytest
from clientsupport import API_KEY, Answer, Handler, Seen, Stub, command_path, e2e, wsgi_app


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Any]:
    """One gunicorn with the shipped config for all client tests (one worker: the tests call it one at a time)."""
    with e2e.running_gunicorn(tmp_path_factory.mktemp("gunicorn"), FOOTPRINT_WORKERS="1") as running:
        yield running


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory) -> Iterator[Any]:
    """gunicorn requiring the API key ``API_KEY``."""
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    with e2e.running_gunicorn(
        tmp_path_factory.mktemp("gunicorn-auth"),
        FOOTPRINT_WORKERS="1",
        FOOTPRINT_AUTH_ENABLED="true",
        FOOTPRINT_API_KEY_HASHES=digest,
    ) as running:
        yield running


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(server, tmp_path) -> Callable[..., Run]:
    """Run ``genai-footprint ARGS`` in tmp_path with FOOTPRINT_URL set to the test server (``url=`` changes it,
    ``url=None`` unsets it); ``stdin`` is sent to its standard input; ``env`` adds variables."""

    def run(*args: str, url: str | None = server.base, stdin: str | None = None, env: dict | None = None) -> Run:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
        environment.update({"NO_COLOR": "1", **({"FOOTPRINT_URL": url} if url else {}), **(env or {})})
        result = subprocess.run(
            [command_path(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
            check=False,
        )
        return Run(result.returncode, result.stdout, result.stderr)

    return run


@pytest.fixture
def write(tmp_path) -> Callable[[str, Any], Path]:
    """Write a document into tmp_path (JSON unless given as text) and return its path."""

    def write_file(name: str, document: Any) -> Path:
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def stub_server() -> Iterator[Callable[..., Stub]]:
    """Start stub servers: ``stub_server(respond, drop=0)``; all stop after the test."""
    started: list[WSGIServer] = []

    def start(respond: Callable[[Seen], Answer], drop: int = 0) -> Stub:
        stub = Stub(respond, drop)
        httpd = make_server("127.0.0.1", 0, wsgi_app(stub), handler_class=Handler)
        httpd.stub = stub  # type: ignore[attr-defined]
        stub.base = f"http://127.0.0.1:{httpd.server_port}"
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(httpd)
        return stub

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()
