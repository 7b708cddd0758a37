"""gunicorn configuration: ``gunicorn --config python:service.gunicorn_conf 'service:create_app()'``.

Every knob comes from a ``FOOTPRINT_*`` environment variable with the default shown (docs/deploy.md has
the same table); unset or empty means the default. Invalid values stop gunicorn at start-up with a message
naming the variable.

=================================  =======================  ===============================================
Variable                           Default                  Meaning
=================================  =======================  ===============================================
FOOTPRINT_BIND                     127.0.0.1:8080           Address(es) to listen on, comma-separated:
                                                            HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N
                                                            (the image sets 0.0.0.0:8080, the Helm chart a
                                                            unix socket that only its nginx reaches).
FOOTPRINT_WORKERS                  2                        Worker processes. Set it from the CPU the pod
                                                            is given, never from the node's CPU count.
FOOTPRINT_WORKER_CLASS             gthread                  gunicorn worker class: gthread or sync (or an
                                                            importable class). Both hold a thread (sync: a
                                                            process) while a client sends its request or
                                                            takes its answer: serve them behind a buffering
                                                            proxy (the chart's nginx, make run-proxied).
FOOTPRINT_THREADS                  4                        Threads per worker (gthread).
FOOTPRINT_TIMEOUT                  30                       Seconds a worker may be silent before it is
                                                            killed and replaced.
FOOTPRINT_GRACEFUL_TIMEOUT         30                       Seconds workers get to finish in-flight requests
                                                            after SIGTERM before they are killed.
FOOTPRINT_KEEPALIVE                5                        Seconds to hold an idle keep-alive connection.
FOOTPRINT_MAX_REQUESTS             1000000                  Restart a worker after this many requests
                                                            (0 = never); bounds slow leaks. High because a
                                                            restart is a cold start, and the benchmark's soak
                                                            shows no growth (bench/README.md).
FOOTPRINT_MAX_REQUESTS_JITTER      100000                   Random extra requests per worker so workers do
                                                            not restart together.
FOOTPRINT_WORKER_TMP_DIR           /dev/shm if present,     Directory of the worker heartbeat files.
                                   else /tmp
FOOTPRINT_FORWARDED_ALLOW_IPS      127.0.0.1,::1            Proxies whose X-Forwarded-* headers are trusted
                                                            ("*" behind a trusted ingress only).
FOOTPRINT_LOG_LEVEL                INFO                     gunicorn's error log level (also the service's).
FOOTPRINT_ACCESS_LOG               true                     One JSON access line per request on stdout.
PROMETHEUS_MULTIPROC_DIR           fresh dir under /tmp     Where workers share metric values; /metrics
                                                            aggregates all workers from it.
=================================  =======================  ===============================================

Logs: gunicorn's own (error) log goes to stderr as JSON lines. The access log goes to stdout, written by
the service itself (``service.observability``): it knows the request id and the matched endpoint, so
gunicorn's access logger is left off rather than printing a second, less useful line per request.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from typing import NoReturn

ENV_PREFIX = "FOOTPRINT_"

#: The metrics directory this module made (below), removed again on exit or when start-up stops.
_created_multiproc_dir: str | None = None


def _stop(message: str) -> NoReturn:
    """Stop start-up with ``message`` (gunicorn prints it), leaving no metrics directory of ours behind."""
    if _created_multiproc_dir:
        shutil.rmtree(_created_multiproc_dir, ignore_errors=True)
    raise SystemExit(message)


def _env(name: str, default: str) -> str:
    value = os.environ.get(ENV_PREFIX + name, "").strip()
    return value or default


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = _env(name, str(default))
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None:
        _stop(f"{ENV_PREFIX}{name}: expected an integer, got {raw!r}")
    if value < minimum:
        _stop(f"{ENV_PREFIX}{name}: expected an integer >= {minimum}, got {value}")
    return value


def _bind_addresses(raw: str) -> list[str]:
    """FOOTPRINT_BIND split on commas, each checked as gunicorn will read it (``HOST:PORT``, ``[IPv6]:PORT``,
    ``unix:PATH`` or ``fd://N``), so that a typo stops start-up naming the variable."""
    addresses = [b.strip() for b in raw.split(",") if b.strip()]
    if not addresses:
        _stop(f"{ENV_PREFIX}BIND: expected HOST:PORT[,HOST:PORT...], got {raw!r}")
    for address in addresses:
        if address.startswith("unix:"):
            if len(address) == len("unix:"):
                _stop(f"{ENV_PREFIX}BIND: 'unix:' needs a socket path, got {address!r}")
            continue
        if address.startswith("fd://"):
            if not address[len("fd://") :].isdigit():
                _stop(f"{ENV_PREFIX}BIND: expected fd://N with N a file descriptor, got {address!r}")
            continue
        host, colon, port = address.rpartition(":")
        if not colon or not host or (":" in host and not (host.startswith("[") and host.endswith("]"))):
            _stop(f"{ENV_PREFIX}BIND: expected HOST:PORT (an IPv6 host in brackets: [::]:8080), got {address!r}")
        if not (port.isdigit() and 0 < int(port) < 65536):
            _stop(f"{ENV_PREFIX}BIND: expected a port from 1 to 65535 in {address!r}, got {port!r}")
    return addresses


def _worker_class(raw: str) -> str:
    """gthread, sync or an importable worker class; anything else stops start-up."""
    if raw in REMOVED_WORKER_CLASSES:
        _stop(f"{ENV_PREFIX}WORKER_CLASS: {REMOVED_WORKER_CLASSES[raw]}")
    if raw in DOCUMENTED_WORKER_CLASSES:
        return raw
    from gunicorn.util import load_class

    try:
        load_class(raw, default="gunicorn.workers.sync.SyncWorker", section="gunicorn.workers")
    except Exception:  # gunicorn raises RuntimeError, naming what it tried
        loaded = False
    else:
        loaded = True
    if not loaded:
        _stop(
            f"{ENV_PREFIX}WORKER_CLASS: expected gthread, sync or an importable worker class "
            f"(package.module.Class), got {raw!r}"
        )
    return raw


def _removed(name: str, why: str) -> None:
    """A setting that no longer exists stops start-up rather than being ignored without a word."""
    if os.environ.get(ENV_PREFIX + name, "").strip():
        _stop(f"{ENV_PREFIX}{name}: {why}")


def _writable_directory(name: str, raw: str) -> str:
    if not (os.path.isdir(raw) and os.access(raw, os.W_OK | os.X_OK)):
        _stop(f"{ENV_PREFIX}{name}: expected an existing directory the server can write to, got {raw!r}")
    return raw


# -- metrics across workers: must be decided before prometheus_client is imported anywhere -----------------
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_multiproc_dir = tempfile.mkdtemp(prefix="footprint-metrics-", dir="/tmp")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_multiproc_dir
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


# -- the service's own settings (service/config.py): checked here too, so that a bad value stops the master ----
# with one line instead of every worker failing to boot with a traceback.
def _check_service_settings() -> None:
    from service.config import ConfigError, Settings

    try:
        Settings.from_env()
    except ConfigError as error:
        _stop(str(error))


_check_service_settings()

# -- server socket -----------------------------------------------------------------------------------------
bind = _bind_addresses(_env("BIND", "127.0.0.1:8080"))
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# -- workers -----------------------------------------------------------------------------------------------
workers = _env_int("WORKERS", 2, minimum=1)
#: The worker classes documented, gunicorn's own short names.
DOCUMENTED_WORKER_CLASSES = frozenset({"gthread", "sync"})
#: Values of FOOTPRINT_WORKER_CLASS that once existed, and what to do instead.
REMOVED_WORKER_CLASSES = {
    "buffered": (
        "'buffered' (the service's own worker) was removed; use gthread, the default, behind the nginx proxy "
        "that holds slow clients now (the Helm chart's nginx container, or make run-proxied; docs/deploy.md)"
    ),
}
worker_class = _worker_class(_env("WORKER_CLASS", "gthread"))
_removed(
    "CLIENT_TIMEOUT",
    "removed with the buffered worker; the nginx proxy's timeouts replace it (the chart's "
    "proxy.clientHeaderTimeout, proxy.clientBodyTimeout and proxy.sendTimeout; docs/deploy.md). Unset it.",
)
threads = _env_int("THREADS", 4, minimum=1)
timeout = _env_int("TIMEOUT", 30)
graceful_timeout = _env_int("GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("KEEPALIVE", 5)
max_requests = _env_int("MAX_REQUESTS", 1_000_000)
max_requests_jitter = _env_int("MAX_REQUESTS_JITTER", 100_000)
worker_tmp_dir = _writable_directory(
    "WORKER_TMP_DIR", _env("WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp")
)
# The app is imported in each worker after the fork (no preload): metrics and data load per worker.
preload_app = False
# gunicorn >= 24 opens a control socket under $HOME or $XDG_RUNTIME_DIR by default; the service does not
# use it, it would write outside /tmp, and two servers on one host would fight over the path.
control_socket_disable = True

# -- logging -----------------------------------------------------------------------------------------------
loglevel = _env("LOG_LEVEL", "INFO").lower()
errorlog = "-"
accesslog = None  # the service writes the access log itself (FOOTPRINT_ACCESS_LOG), see the docstring
capture_output = False
proc_name = "genai-footprint"

try:  # JSON error log lines, like the service's own
    from gunicorn.glogging import Logger as _GunicornLogger

    class JsonLogger(_GunicornLogger):
        """gunicorn's logger with JSON-formatted error log lines."""

        def setup(self, cfg):
            super().setup(cfg)
            from service.observability.logs import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    logger_class = JsonLogger
except ImportError:  # pragma: no cover - only when the module is read outside gunicorn
    pass


# -- hooks -------------------------------------------------------------------------------------------------
def on_starting(server) -> None:
    """Start from empty metric files: values left by an earlier run in the same directory are stale."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker) -> None:
    """A worker exited (restart after max_requests, crash, shutdown): drop its live metric files."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _created_multiproc_dir:
        shutil.rmtree(_created_multiproc_dir, ignore_errors=True)
