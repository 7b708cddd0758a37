"""Shared fixtures: one app per test session (the catalog loads once), a fresh client per test; and under
CI=true, a skipped test fails (below)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from service import create_app
from service.reference import load_catalog

# -- the compiled domain is the one its sources describe ------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def stale_compiled_modules(root: Path = ROOT) -> list[str]:
    """Domain sources edited after `make setup` compiled them (setup.py): Python imports the extension module
    before the source beside it, so the tests would run the old code."""
    domain = root / "service" / "domain"
    extensions = list(domain.rglob("*.so"))
    if not extensions:
        return []
    built = min(path.stat().st_mtime for path in extensions)
    return sorted(str(path.relative_to(root)) for path in domain.rglob("*.py") if path.stat().st_mtime > built)


def pytest_configure(config):
    stale = stale_compiled_modules()
    if stale:
        pytest.exit(
            f"service/domain changed after it was compiled ({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''}):"
            " run `make setup` to compile it again, or FOOTPRINT_COMPILE=0 `make setup` to run it as plain Python",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The service's wheel, built once per run (the packaging tests of the data and of the pages install it)."""
    # Built from a copy of what a clean clone has, so stale build/ or egg-info in a checkout cannot leak in.
    root = Path(__file__).resolve().parents[1]
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(root / name, source / name)
    shutil.copytree(root / "service", source / "service", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    out = tmp_path_factory.mktemp("wheel")
    # Plain Python: these tests are about the files a wheel carries; the container test builds it compiled.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        env={**os.environ, "FOOTPRINT_COMPILE": "0"},
    )
    (path,) = out.glob("genai_footprint-*.whl")
    return path


@pytest.fixture
def run_installed(wheel, tmp_path) -> Callable[[str], str]:
    """Runs Python code (returning its standard output) against the wheel's files alone: extracted under
    ``tmp_path``, the interpreter isolated (-I, so not the checkout) and started in ``tmp_path``."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)

    def run(script: str) -> str:
        command = f"import sys; sys.path.insert(0, {str(site)!r}); {script}"
        return subprocess.run(
            [sys.executable, "-I", "-c", command], check=True, capture_output=True, text=True, cwd=tmp_path
        ).stdout

    return run


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


# -- nothing skips quietly in CI ---------------------------------------------------------------------------------------
#: Under CI=true (the CI runner sets it; .ci/run runs `make test`, which installs every test tool) a skipped test
#: fails with its reason: a tool that could not be installed must not pass for a tested one. Skips whose reason
#: contains one of these strings are not about a missing tool and stay skips there; each says why.
CI_ALLOWED_SKIPS: dict[str, str] = {
    "FOOTPRINT_COMPILE=0": "the caller asked for the plain-Python domain; nothing failed to install",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _skip_reason(longrepr) -> str:
    return longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


def _fail_skip_in_ci(report) -> None:
    if not (_in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report.longrepr)
    if any(allowed in reason for allowed in CI_ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, where every test tool must be installed (make test-tools): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


#: Modules skipped whole at import (pytest.importorskip) under CI=true: failing their collection would stop
#: the whole run, so they stay skipped and fail the session at its end, with their reasons.
_ci_skipped_modules: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if _in_ci() and report.skipped:
        reason = _skip_reason(report.longrepr)
        if not any(allowed in reason for allowed in CI_ALLOWED_SKIPS):
            _ci_skipped_modules.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter):
    for line in _ci_skipped_modules:
        terminalreporter.write_line(f"FAILED (skipped under CI=true, make test-tools must install its tool) {line}")


def pytest_sessionfinish(session, exitstatus):
    if _ci_skipped_modules and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
