"""Under CI=true a skipped test fails with its reason (tests/conftest.py); elsewhere it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


@pytest.fixture
def suite(tmp_path):
    # The project's conftest, as it is, around a test that skips, a module skipped at import and an xfail.
    (tmp_path / "conftest.py").write_text(f"exec(compile(open({str(CONFTEST)!r}).read(), 'conftest', 'exec'))\n")
    (tmp_path / "test_tools.py").write_text(
        "import pytest\n"
        "def test_needs_a_tool():\n    pytest.skip('frobnicator is not installed')\n"
        "def test_plain():\n    pass\n"
        "@pytest.mark.xfail(reason='known')\ndef test_known_failure():\n    assert False\n"
    )
    (tmp_path / "test_module.py").write_text("import pytest\npytest.importorskip('no_such_module_here')\n")
    return tmp_path


def run(suite: Path, ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(suite), str(suite)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_skips_fail_in_ci_with_their_reason(suite):
    result = run(suite, "true")
    assert result.returncode == 1, result.stdout
    assert "skipped under CI=true" in result.stdout and "frobnicator is not installed" in result.stdout
    assert "no_such_module_here" in result.stdout  # the module skipped at import fails the session too
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed" in result.stdout


def test_skips_stay_skips_outside_ci(suite):
    result = run(suite, None)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in result.stdout
