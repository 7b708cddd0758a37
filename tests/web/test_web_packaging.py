"""The pages' files ship inside the wheel, and the installed package serves them (not the checkout)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "service" / "web" / "static"


def _static_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in STATIC.rglob("*") if p.is_file())


def test_wheel_contains_every_page_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _static_files()
    missing = [name for name in _static_files() if name not in names]
    assert not missing, f"missing from the wheel: {missing}"


def test_wheel_declares_the_swagger_ui_dependency(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [line for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    assert any("swagger-ui-bundle" in line for line in requires), requires


def test_installed_wheel_serves_its_own_pages(run_installed, tmp_path):
    urls = ["/", "/docs", "/embed.js", "/assets/swagger-ui/swagger-ui-bundle.js"]
    urls += [f"/assets/{p.name}" for p in sorted((STATIC / "assets").iterdir())]
    script = (
        "import json, pathlib, sys, service.web as web; from service import create_app; "
        "client = create_app({'access_log': False}).test_client(); "
        f"answers = {{url: [client.get(url).status_code, len(client.get(url).data)] for url in {urls!r}}}; "
        "print(json.dumps({'static': str(pathlib.Path(web.STATIC).resolve()), 'answers': answers}))"
    )
    report = json.loads(run_installed(script).strip().splitlines()[-1])
    assert report["static"].startswith(str(tmp_path)), "served from the checkout instead of the installed package"
    for url, (status, length) in report["answers"].items():
        assert status == 200 and length > 0, url
    for name in ("index.html", "embed.js"):
        url = "/" if name == "index.html" else "/embed.js"
        assert report["answers"][url][1] == (STATIC / name).stat().st_size
