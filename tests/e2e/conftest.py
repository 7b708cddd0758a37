"""End-to-end fixtures: gunicorn alone, or behind nginx as the chart runs it (tests/e2e/servers.py)."""

from __future__ import annotations

import contextlib

import pytest
from servers import running_gunicorn, running_proxied


@pytest.fixture(scope="module")
def start_gunicorn(tmp_path_factory):
    """Start gunicorn servers for a test module (``start_gunicorn(FOOTPRINT_WORKERS="2")``); all stop after it."""
    with contextlib.ExitStack() as stack:
        yield lambda **settings: stack.enter_context(running_gunicorn(tmp_path_factory.mktemp("gunicorn"), **settings))


@pytest.fixture(scope="module")
def start_proxied(tmp_path_factory):
    """Start nginx + gunicorn pairs for a test module (``start_proxied({"proxy.sendTimeout": 2})``)."""
    with contextlib.ExitStack() as stack:
        yield lambda proxy=None, **settings: stack.enter_context(
            running_proxied(tmp_path_factory.mktemp("proxied"), proxy, **settings)
        )
