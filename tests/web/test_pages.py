"""The pages and their files as HTTP resources: what is served, with which type and headers, to whom.

What they do in a browser is tested in real Chromium (tests/e2e/test_calculator_browser.py).
"""

from __future__ import annotations

import hashlib
import html.parser
import re
from pathlib import Path

import pytest
import yaml

from service import create_app
from service.api.security import DOCS_CSP, OPEN_PATHS, PAGE_CSP, PAGE_PATHS, PAGE_POLICIES, is_open_path
from service.config import ConfigError
from service.web import STATIC, SWAGGER_UI, SWAGGER_UI_FILES

ROOT = Path(__file__).resolve().parents[2]
PORTAL = "https://portal.example.org"
KEY = "pages-test-key"
API_CSP = "default-src 'none'; frame-ancestors 'none'"

ASSETS = sorted(path.name for path in (STATIC / "assets").iterdir())
PAGES = {"/": "index.html", "/docs": "docs.html"}
MEDIA = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}


@pytest.fixture(scope="module")
def framed():
    return create_app({"cors_allowed_origins": (PORTAL,), "access_log": False}).test_client()


@pytest.fixture(scope="module")
def secured():
    hashes = (hashlib.sha256(KEY.encode()).hexdigest(),)
    return create_app({"auth_enabled": True, "api_key_hashes": hashes, "access_log": False}).test_client()


# -- what is served ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "name"), PAGES.items())
def test_pages_are_the_shipped_html(client, path, name):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.data == (STATIC / name).read_bytes()


@pytest.mark.parametrize("name", ASSETS)
def test_every_asset_is_served_with_its_type(client, name):
    response = client.get(f"/assets/{name}")
    assert response.status_code == 200
    assert response.mimetype == MEDIA[Path(name).suffix]
    assert response.data == (STATIC / "assets" / name).read_bytes()


def test_the_element_is_served_as_a_module_script(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"customElements.define" in response.data


@pytest.mark.parametrize("name", sorted(SWAGGER_UI_FILES))
def test_swagger_ui_comes_from_the_installed_bundle(client, name):
    response = client.get(f"/assets/swagger-ui/{name}")
    assert response.status_code == 200
    assert response.data == (SWAGGER_UI / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/assets/nope.js",
        "/assets/../__init__.py",
        "/assets/%2e%2e/__init__.py",
        "/assets/..%2f__init__.py",
        "/assets/.hidden.js",
        "/assets/swagger-ui/index.html",  # the bundle's other files are not served
        "/assets/swagger-ui/swagger-ui-bundle.js.map",
        "/assets/swagger-ui/../swagger-ui.css",
        "/index.html",
        "/static/index.html",
        "/embed.js/x",
        "/docs/",
    ],
)
def test_nothing_else_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_file_the_browser_has_is_not_sent_again(client):
    first = client.get("/assets/calculator.js")
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    again = client.get("/assets/calculator.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_pages_answer_only_get(client):
    response = client.post("/", json={})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


def test_openapi_json_is_the_yaml_document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def test_openapi_yaml_is_text_a_browser_shows_and_keeps_its_name(client):
    response = client.get("/openapi.yaml")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'inline; filename="openapi.yaml"'


# -- the files themselves -----------------------------------------------------------------------------------


class _Markup(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True


@pytest.mark.parametrize("name", PAGES.values())
def test_pages_have_no_inline_script_style_or_handler(name):
    markup = _Markup()
    markup.feed((STATIC / name).read_text(encoding="utf-8"))
    assert not markup.inline_script
    for tag, attributes in markup.tags:
        assert tag != "style"
        assert "style" not in attributes, tag
        assert not [a for a in attributes if a.startswith("on")], tag
        if tag == "script":
            assert attributes.get("src"), "every script is a file"
        for name_ in ("src", "href"):
            assert not (attributes.get(name_) or "").startswith(("http:", "https:", "//", "javascript:")), attributes


def _references() -> list[tuple[str, str]]:
    """(file, URL it loads) for each page's src/href and each module's relative import."""
    found = []
    for name in PAGES.values():
        markup = _Markup()
        markup.feed((STATIC / name).read_text(encoding="utf-8"))
        for tag, attributes in markup.tags:
            url = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
            if url:
                found.append((name, "/" + url.removeprefix("./")))
    modules = [STATIC / "embed.js", *(STATIC / "assets").glob("*.js")]
    for module in modules:
        base = "/" if module.parent == STATIC else "/assets/"
        for target in re.findall(r"""(?:import|from)\s+["'](\.{1,2}/[^"']+)["']""", module.read_text(encoding="utf-8")):
            path = (Path(base) / target).resolve().as_posix()
            found.append((module.name, path))
    return found


@pytest.mark.parametrize(("source", "url"), _references(), ids=lambda value: value)
def test_every_file_a_page_or_module_loads_is_served(client, source, url):
    assert client.get(url).status_code == 200, f"{source} loads {url}"


def test_scripts_build_the_page_without_markup_strings_or_eval():
    # Text from answers (sources, messages) must stay text, and the pages' CSP refuses inline styles and eval.
    for module in [STATIC / "embed.js", *(STATIC / "assets").glob("*.js")]:
        code = module.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in code, f"{module.name} uses {forbidden}"
        assert not re.search(r"""setAttribute\(\s*["']style""", code), module.name
        assert not re.search(r"""["']style["']\s*:""", code), f"{module.name} sets a style attribute"


def test_every_page_file_is_package_data():
    # pyproject.toml ships these patterns: a file outside them would be missing from the wheel.
    shipped = {path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*") if path.is_file()}
    patterns = ["*.html", "*.js", "assets/*"]
    assert all(any(Path(name).match(pattern) for pattern in patterns) for name in shipped), shipped
    assert "static/assets/*" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# -- security headers per path -----------------------------------------------------------------------------


def test_api_answers_keep_the_strict_policy(client):
    for path in ("/v1/accelerators", "/healthz", "/openapi.json", "/openapi.yaml", "/no-such-page"):
        response = client.get(path)
        assert response.headers.get_all("Content-Security-Policy") == [API_CSP], path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(("path", "policy"), [("/", PAGE_CSP), ("/docs", DOCS_CSP)])
def test_pages_get_their_policy_and_no_one_frames_them_by_default(client, path, policy):
    response = client.get(path)
    assert response.headers.get_all("Content-Security-Policy") == [f"{policy}; frame-ancestors 'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_pages_policy_admits_only_the_service_and_nothing_inline():
    directives = dict(part.strip().split(" ", 1) for part in PAGE_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "img-src", "connect-src"):
        assert directives[directive] == "'self'", directive
    assert "unsafe" not in PAGE_CSP
    # /docs adds data: images (Swagger UI's icons) and nothing else.
    assert DOCS_CSP.replace(" data:", "") == PAGE_CSP


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_the_cors_origins_may_frame_the_pages(framed, path):
    response = framed.get(path)
    (policy,) = response.headers.get_all("Content-Security-Policy")
    assert policy.endswith(f"; frame-ancestors {PORTAL}")
    assert "X-Frame-Options" not in response.headers  # it cannot name origins; frame-ancestors decides
    api = framed.get("/v1/models")
    assert api.headers["X-Frame-Options"] == "DENY" and api.headers["Content-Security-Policy"] == API_CSP


@pytest.mark.parametrize("path", ["/embed.js", "/assets/calculator.js", "/assets/calculator.css"])
def test_the_element_loads_on_the_cors_origins(framed, path):
    response = framed.get(path, headers={"Origin": PORTAL})
    assert response.headers["Access-Control-Allow-Origin"] == PORTAL
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    stranger = framed.get(path, headers={"Origin": "https://elsewhere.example.org"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


@pytest.mark.parametrize(
    "origins",
    [("*",), ("portal.example.org",), ("https://portal.example.org/path",), ("https://a.org; script-src *",)],
)
def test_a_cors_entry_that_is_not_an_origin_stops_start_up(origins):
    with pytest.raises(ConfigError, match="FOOTPRINT_CORS_ALLOWED_ORIGINS"):
        create_app({"cors_allowed_origins": origins})


def test_origins_may_name_ports_and_ipv6_hosts():
    origins = ("http://127.0.0.1:8081", "https://[::1]:8443", "https://portal.example.org/")
    client = create_app({"cors_allowed_origins": origins, "access_log": False}).test_client()
    policy = client.get("/").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors http://127.0.0.1:8081 https://[::1]:8443 https://portal.example.org")


# -- with API keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/docs", "/embed.js", "/assets/calculator.js", "/assets/swagger-ui/swagger-ui.css", "/openapi.json"],
)
def test_pages_and_their_files_are_open_when_keys_are_required(secured, path):
    assert secured.get(path).status_code == 200
    assert is_open_path(path)


def test_the_api_still_needs_the_key(secured):
    assert secured.get("/v1/models").status_code == 401
    assert secured.get("/v1/models", headers={"X-API-Key": KEY}).status_code == 200
    assert secured.get("/assets/nope.js").status_code == 404  # open, and absent


def test_every_web_route_is_open_and_has_its_headers(app):
    web = [str(rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("web.")]
    assert set(PAGE_POLICIES) == PAGE_PATHS
    for rule in web:
        path = rule.split("<")[0]
        assert path in OPEN_PATHS or is_open_path(path + "x"), rule
