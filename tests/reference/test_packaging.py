"""The reference data ships inside the wheel and loads from the installed package, not from the checkout."""

from __future__ import annotations

import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_every_data_file_and_its_licence_notes(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "service/reference/data").iterdir() if p.suffix in {".csv", ".md"}}
    assert shipped, "no data files found in the checkout"
    for name in shipped:
        assert f"service/reference/data/{name}" in names, f"{name} is missing from the wheel"


def test_wheel_leaves_out_the_development_tools(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("service/validation/", "tests/", "bench/"))]


def test_installed_wheel_loads_its_own_data(run_installed, tmp_path):
    script = (
        "import service.reference as r, pathlib; c = r.load_catalog(); "
        "print(pathlib.Path(r.__file__).resolve().parent); print(len(c.regions), len(c.accelerators))"
    )
    location, counts = run_installed(script).split("\n")[:2]
    assert location.startswith(str(tmp_path)), "loaded from the checkout instead of the installed package"
    assert counts == "144 34"
