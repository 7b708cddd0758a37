"""The packages type-check cleanly with mypy: the service (``[tool.mypy]`` in pyproject.toml) and the client
(strict, ``[tool.mypy]`` in client/pyproject.toml).

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


def test_client_package_type_checks(monkeypatch):
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            "client/pyproject.toml",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "client"),
            "client/src",
        ]
    )
    assert status == 0, f"mypy found problems in the client:\n{stdout}{stderr}"
