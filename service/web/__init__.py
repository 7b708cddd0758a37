"""The pages: the calculator at ``/``, the embeddable element at ``/embed.js`` and the API reference at ``/docs``.

Everything here is a static file shipped in the package (``static/``, package data in pyproject.toml) and
served as it is: no template, no build step. The pages get all their data from the public API, like any
other client. Their security headers (a Content-Security-Policy per page, framing by the CORS origins) are set
by ``service.api.security``.

Swagger UI's files are served from the installed ``swagger-ui-bundle`` package, not copied into this one at
build time: the bytes stay exactly those of the maintained distribution (with its licence in its own
dist-info), an upgrade is a dependency bump rather than a copy to refresh and review, and the wheel carries
no second copy. Only the two files the /docs page loads are reachable.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_file
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(str(resources.files(__name__) / "static"))
SWAGGER_UI = Path(str(swagger_ui_path))
#: The Swagger UI files the /docs page loads (its other files, source maps, presets and examples, are not served).
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})

#: Media types by suffix, set here rather than guessed from the platform's mimetypes table: a module script
#: must come as JavaScript, and nosniff makes browsers refuse anything else (Flask adds charset=utf-8 to text/*).
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}

bp = Blueprint("web", __name__)


def _file(path: Path) -> Response:
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_file():
        abort(404)
    # max_age=0 with the ETag and Last-Modified send_file sets: browsers revalidate (a 304) on every load, so a
    # new release is picked up at once and an unchanged file costs no body.
    response = send_file(path, mimetype=media_type, max_age=0, conditional=True, etag=True)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def calculator():
    return _file(STATIC / "index.html")


@bp.get("/docs")
def docs():
    return _file(STATIC / "docs.html")


@bp.get("/embed.js")
def embed():
    return _file(STATIC / "embed.js")


@bp.get("/assets/<path:name>")
def asset(name: str):
    # Only plain file names of the assets folder: no sub-folders, no dot files, nothing outside it.
    if "/" in name or "\\" in name or name.startswith("."):
        abort(404)
    return _file(STATIC / "assets" / name)


@bp.get("/assets/swagger-ui/<name>")
def swagger_ui(name: str):
    if name not in SWAGGER_UI_FILES:
        abort(404)
    return _file(SWAGGER_UI / name)


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
