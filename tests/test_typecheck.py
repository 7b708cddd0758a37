"""The package type-checks cleanly with mypy (configuration: ``[tool.mypy]`` in pyproject.toml).

Types are part of the code's contract between layers (the domain's inputs, the ``Range`` type, the schemas'
loaded objects); a mismatch mypy can see is a bug waiting for an input that reaches it, as a dedicated
deployment without hours once could have in the domain.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parents[1]


def test_service_package_type_checks(monkeypatch):
    monkeypatch.chdir(ROOT)  # mypy reads [tool.mypy] from ./pyproject.toml
    stdout, stderr, status = mypy_api.run(["--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache")])
    assert status == 0, f"mypy found problems:\n{stdout}{stderr}"
