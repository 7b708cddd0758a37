"""The README's configuration tables list every FOOTPRINT_* setting the service and the server read."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from service.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    service_vars = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
    server_vars = set(
        re.findall(r'_env\w*\("([A-Z_]+)"', (ROOT / "service/gunicorn_conf.py").read_text(encoding="utf-8"))
    )
    server_vars = {ENV_PREFIX + name for name in server_vars}
    assert server_vars, "no FOOTPRINT_* variable found in gunicorn_conf.py"
    missing = sorted(v for v in service_vars | server_vars if f"`{v}`" not in readme)
    assert not missing, f"README configuration table lacks {missing}"
