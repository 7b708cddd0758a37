"""service/gunicorn_conf.py: every knob from FOOTPRINT_* with its documented default, and the hooks."""

from __future__ import annotations

import importlib.util
import itertools
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parents[2] / "service" / "gunicorn_conf.py"
_counter = itertools.count()


def load(monkeypatch, tmp_path, **env):
    """Execute the config file as gunicorn does, in a clean FOOTPRINT_* environment."""
    for name in list(os.environ):
        if name.startswith("FOOTPRINT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(f"_gunicorn_conf_{next(_counter)}", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults(monkeypatch, tmp_path):
    conf = load(monkeypatch, tmp_path)
    assert conf.bind == ["127.0.0.1:8080"]
    assert conf.workers == 2  # fixed default, not derived from the machine's CPU count
    assert conf.worker_class == "gthread" and conf.threads == 4
    assert (conf.timeout, conf.graceful_timeout, conf.keepalive) == (30, 30, 5)
    assert (conf.max_requests, conf.max_requests_jitter) == (1_000_000, 100_000)
    assert conf.worker_tmp_dir == ("/dev/shm" if os.path.isdir("/dev/shm") else "/tmp")
    assert conf.errorlog == "-" and conf.accesslog is None  # access lines come from the app, on stdout
    assert conf.loglevel == "info"
    assert conf.preload_app is False
    assert conf.control_socket_disable is True
    assert conf.forwarded_allow_ips == "127.0.0.1,::1"


def test_workers_ignore_cpu_count(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "cpu_count", lambda: 96)
    assert load(monkeypatch, tmp_path).workers == 2


def test_every_knob_from_the_environment(monkeypatch, tmp_path):
    conf = load(
        monkeypatch,
        tmp_path,
        FOOTPRINT_BIND="0.0.0.0:9000, [::]:9000",
        FOOTPRINT_WORKERS="5",
        FOOTPRINT_WORKER_CLASS="sync",
        FOOTPRINT_THREADS="1",
        FOOTPRINT_TIMEOUT="60",
        FOOTPRINT_GRACEFUL_TIMEOUT="20",
        FOOTPRINT_KEEPALIVE="75",
        FOOTPRINT_MAX_REQUESTS="0",
        FOOTPRINT_MAX_REQUESTS_JITTER="0",
        FOOTPRINT_WORKER_TMP_DIR="/tmp",
        FOOTPRINT_FORWARDED_ALLOW_IPS="*",
        FOOTPRINT_LOG_LEVEL="WARNING",
    )
    assert conf.bind == ["0.0.0.0:9000", "[::]:9000"]
    assert (conf.workers, conf.worker_class, conf.threads) == (5, "sync", 1)
    assert (conf.timeout, conf.graceful_timeout, conf.keepalive) == (60, 20, 75)
    assert (conf.max_requests, conf.max_requests_jitter) == (0, 0)
    assert conf.worker_tmp_dir == "/tmp"
    assert conf.forwarded_allow_ips == "*"
    assert conf.loglevel == "warning"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FOOTPRINT_WORKERS", "many", "expected an integer"),
        ("FOOTPRINT_WORKERS", "0", ">= 1"),
        ("FOOTPRINT_TIMEOUT", "-1", ">= 0"),
        ("FOOTPRINT_BIND", "notanaddress:xx", "expected a port from 1 to 65535"),
        ("FOOTPRINT_BIND", "0.0.0.0:70000", "expected a port from 1 to 65535"),
        ("FOOTPRINT_BIND", "localhost", "expected HOST:PORT"),
        ("FOOTPRINT_BIND", "::1:8080", "IPv6 host in brackets"),
        ("FOOTPRINT_BIND", "127.0.0.1:8080,:9000", "expected HOST:PORT"),
        ("FOOTPRINT_BIND", ",", "expected HOST:PORT"),
        ("FOOTPRINT_BIND", "unix:", "needs a socket path"),
        ("FOOTPRINT_BIND", "fd://three", "fd://N"),
        ("FOOTPRINT_WORKER_CLASS", "bogus", "expected gthread, sync or an importable worker class"),
        ("FOOTPRINT_WORKER_CLASS", "gunicorn.workers.gthread.NoSuchWorker", "importable worker class"),
        # The service's own worker is gone: saying so beats gunicorn's "cannot import".
        ("FOOTPRINT_WORKER_CLASS", "buffered", "'buffered' (the service's own worker) was removed; use gthread"),
        ("FOOTPRINT_CLIENT_TIMEOUT", "10", "removed with the buffered worker; the nginx proxy's timeouts"),
        ("FOOTPRINT_WORKER_TMP_DIR", "/nonexistent", "expected an existing directory"),
        ("FOOTPRINT_MAX_BODY_BYTES", "abc", "expected an integer"),  # a service setting (service/config.py)
        ("FOOTPRINT_AUTH_ENABLED", "maybe", "FOOTPRINT_AUTH_ENABLED"),
    ],
)
def test_invalid_values_stop_start_up_naming_the_variable(monkeypatch, tmp_path, name, value, message):
    with pytest.raises(SystemExit) as excinfo:
        load(monkeypatch, tmp_path, **{name: value})
    assert name in str(excinfo.value) and message in str(excinfo.value)


@pytest.mark.parametrize(
    "bind",
    [
        "unix:/run/footprint.sock",
        "fd://3",
        "[::1]:8080",
        "[::]:8080,0.0.0.0:8080",
        "localhost:1",
        "svc.example:65535",
    ],
)
def test_bind_forms_gunicorn_accepts(monkeypatch, tmp_path, bind):
    assert load(monkeypatch, tmp_path, FOOTPRINT_BIND=bind).bind == bind.split(",")


def test_worker_class_as_an_importable_class(monkeypatch, tmp_path):
    path = "gunicorn.workers.gthread.ThreadWorker"
    assert load(monkeypatch, tmp_path, FOOTPRINT_WORKER_CLASS=path).worker_class == path


@pytest.mark.parametrize("name", ["gthread", "sync"])
def test_worker_class_short_names(monkeypatch, tmp_path, name):
    assert load(monkeypatch, tmp_path, FOOTPRINT_WORKER_CLASS=name).worker_class == name


def test_multiprocess_dir_created_under_tmp_when_unset(monkeypatch, tmp_path):
    conf = load(monkeypatch, tmp_path, PROMETHEUS_MULTIPROC_DIR=None)
    created = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    try:
        assert created.startswith("/tmp/footprint-metrics-") and os.path.isdir(created)
        assert conf._created_multiproc_dir == created
        conf.on_exit(SimpleNamespace())
        assert not os.path.exists(created)
    finally:
        if os.path.isdir(created):
            os.rmdir(created)


def test_given_multiprocess_dir_is_kept_and_emptied_on_start(monkeypatch, tmp_path):
    conf = load(monkeypatch, tmp_path)
    metrics = tmp_path / "metrics"
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(metrics) and metrics.is_dir()
    (metrics / "counter_123.db").write_bytes(b"stale")
    (metrics / "keep.txt").write_text("not ours")
    conf.on_starting(SimpleNamespace())
    assert sorted(p.name for p in metrics.iterdir()) == ["keep.txt"]
    conf.on_exit(SimpleNamespace())
    assert metrics.is_dir()  # a directory we were given is never removed


def test_child_exit_marks_the_worker_dead(monkeypatch, tmp_path):
    conf = load(monkeypatch, tmp_path)
    metrics = tmp_path / "metrics"
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db"):
        (metrics / name).write_bytes(b"")
    conf.child_exit(SimpleNamespace(), SimpleNamespace(pid=4242))
    assert sorted(p.name for p in metrics.iterdir()) == ["counter_4242.db"]  # counters survive the worker


def test_make_run_uses_the_config():
    makefile = (CONF.parents[1] / "Makefile").read_text(encoding="utf-8")
    assert "--config python:service.gunicorn_conf 'service:create_app()'" in makefile


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FOOTPRINT_WORKERS", "many"),
        ("FOOTPRINT_BIND", "localhost"),
        ("FOOTPRINT_WORKER_CLASS", "bogus"),
        ("FOOTPRINT_WORKER_TMP_DIR", "/nonexistent"),
        ("FOOTPRINT_MAX_BODY_BYTES", "abc"),
    ],
)
def test_a_stopped_start_up_leaves_no_metrics_directory(monkeypatch, tmp_path, name, value):
    made = []
    real_mkdtemp = __import__("tempfile").mkdtemp

    def mkdtemp(prefix="", dir=None):
        made.append(real_mkdtemp(prefix=prefix, dir=str(tmp_path)))
        return made[-1]

    monkeypatch.setattr("tempfile.mkdtemp", mkdtemp)
    with pytest.raises(SystemExit):
        load(monkeypatch, tmp_path, PROMETHEUS_MULTIPROC_DIR=None, **{name: value})
    assert len(made) == 1 and not os.path.exists(made[0])
