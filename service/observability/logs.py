"""JSON log lines on stdout for the ``service`` logger (and gunicorn's error log, see gunicorn_conf)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

import orjson

from .request_ids import get_request_id

LOGGER_NAME = "service"

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is emitted as a field.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC, ms), ``level``, ``logger``, ``message``, ``pid``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if "request_id" not in entry:
            request_id = get_request_id()
            if request_id:
                entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class StdoutHandler(logging.StreamHandler):
    """A stream handler bound to whatever ``sys.stdout`` is at emit time (so test capture works)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def parse_level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level).strip().upper())
    if not isinstance(value, int):
        from ..config import ConfigError

        raise ConfigError(f"FOOTPRINT_LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    return value


def configure_logging(level: str | int = "INFO") -> logging.Logger:
    """Give the ``service`` logger exactly one JSON stdout handler at ``level``; it does not propagate."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(parse_level(level))
    for handler in list(logger.handlers):
        if isinstance(handler, StdoutHandler):
            logger.removeHandler(handler)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    return logger


_write_lock = threading.Lock()
#: (whole second, its "YYYY-MM-DDTHH:MM:SS" text): formatted once a second, not once a line.
_second_text: tuple[int, str] = (-1, "")


def _timestamp(now: float) -> str:
    """UTC ISO 8601 with milliseconds, as JsonFormatter writes it."""
    global _second_text
    second = int(now)
    cached_second, text = _second_text
    if second != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_text = (second, text)  # one tuple, replaced whole: safe to read from any thread
    return f"{text}.{int(now * 1000) % 1000:03d}Z"


def write_access_line(fields: dict[str, Any]) -> None:
    """One access line, in the same JSON shape ``JsonFormatter`` gives, written straight to stdout.

    The access line is written for every request, so it skips the LogRecord, the formatter's attribute scan
    and the handler chain; the caller checks the ``service.access`` level first.
    """
    entry: dict[str, Any] = {
        "ts": _timestamp(time.time()),
        "level": "INFO",
        "logger": "service.access",
        "message": "request",
        "pid": os.getpid(),
    }
    entry.update(fields)
    line = orjson.dumps(entry, default=str) + b"\n"
    stream = sys.stdout
    with _write_lock:
        if stream is sys.__stdout__ and (fd := _stdout_fd()) is not None:
            _write_all(fd, line)
        else:  # stdout replaced (tests capturing it, an embedding application): write through it
            stream.write(line.decode())
            stream.flush()


_fd: int | None = -1  # the process's stdout file descriptor; -1 until looked up


def _stdout_fd() -> int | None:
    """stdout's file descriptor, or None when it has none (closed, or not a file).

    Access lines go to it with one ``os.write`` each: through ``sys.stdout`` the same bytes pass a text
    layer, a buffer and a flush. Nothing else in the process leaves text
    buffered in ``sys.stdout`` (log records are flushed as they are written), so lines stay whole and in
    order.
    """
    global _fd
    if _fd == -1:
        try:
            stdout = sys.__stdout__
            _fd = stdout.fileno() if stdout is not None else None
        except (AttributeError, OSError, ValueError):
            _fd = None
    return _fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
