"""Shared fixtures: one app per test session (the catalog loads once), a fresh client per test."""

from __future__ import annotations

import pytest

from service import create_app
from service.reference import load_catalog


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()
