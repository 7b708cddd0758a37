"""Fixtures for the reference-data tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from service.reference import DATA_FILES, Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped data, loaded the way the service loads it (importlib.resources)."""
    return load_catalog()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the shipped data files."""
    base = resources.files("service.reference").joinpath("data")
    for name in DATA_FILES:
        (tmp_path / name).write_bytes(base.joinpath(name).read_bytes())
    return tmp_path
