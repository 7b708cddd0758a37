"""End-to-end fixtures: gunicorn alone, or behind nginx as the chart runs it (tests/e2e/servers.py), and Debian's
Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import contextlib
import shutil

import pytest
from servers import running_gunicorn, running_proxied

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on make browser-tools
    sync_playwright = None

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


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


@pytest.fixture(scope="module")
def browser():
    """Chromium for a test module (a missing tool is a skip, which fails under CI=true: tests/conftest.py)."""
    if sync_playwright is None:
        pytest.skip("playwright is not installed (make browser-tools)")
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (make browser-tools)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
