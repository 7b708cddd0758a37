"""API keys, CORS and security headers."""

from __future__ import annotations

import hashlib

import pytest

from service import create_app
from service.api.security import key_is_valid, parse_key_hashes, presented_key
from service.config import ConfigError, Settings

KEY = "s3cret-key-for-tests"
OTHER_KEY = "another-key"
HASHES = (hashlib.sha256(KEY.encode()).hexdigest(), hashlib.sha256(OTHER_KEY.encode()).hexdigest())
TRAINING = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb"}, "accelerator_hours": 100}
ORIGIN = "https://portal.example.org"


@pytest.fixture(scope="module")
def secured():
    return create_app({"auth_enabled": True, "api_key_hashes": HASHES, "access_log": False}).test_client()


@pytest.fixture(scope="module")
def cors():
    return create_app(
        {"cors_allowed_origins": (ORIGIN, "https://other.example.org"), "access_log": False}
    ).test_client()


# -- API keys -----------------------------------------------------------------------------------------


def test_auth_is_off_by_default(client):
    assert Settings().auth_enabled is False
    assert client.post("/v1/estimates/training", json=TRAINING).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {KEY}"},
        {"X-API-Key": KEY},
        {"X-API-Key": OTHER_KEY},
        {"Authorization": "Basic abc", "X-API-Key": KEY},
    ],
)
def test_a_configured_key_is_accepted(secured, headers):
    assert secured.post("/v1/estimates/training", json=TRAINING, headers=headers).status_code == 200
    assert secured.get("/v1/accelerators", headers=headers).status_code == 200
    batch = {"items": [{"id": "a", "kind": "training", "workload": TRAINING}]}
    assert secured.post("/v1/estimates/batch", json=batch, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("headers", "invalid_token"),
    [
        ({}, False),
        ({"Authorization": "Bearer "}, False),
        ({"Authorization": "Basic " + KEY}, False),
        ({"Authorization": "Bearer wrong"}, True),
        ({"X-API-Key": "wrong"}, True),
        ({"X-API-Key": HASHES[0]}, True),  # the digest itself is not a key
        ({"X-API-Key": KEY + "x"}, True),
        ({"X-API-Key": "k" * 5000}, True),
    ],
)
def test_a_missing_or_wrong_key_gets_401_problem(secured, headers, invalid_token):
    for response in (
        secured.post("/v1/estimates/training", json=TRAINING, headers=headers),
        secured.get("/v1/regions", headers=headers),
        secured.get("/v1/no-such-thing", headers=headers),
        secured.get("/no-such-thing", headers=headers),
        secured.get("/healthz/", headers=headers),
    ):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 401 and body["type"].endswith(":unauthorized")
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        assert ('error="invalid_token"' in challenge) is invalid_token
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert KEY not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.yaml"])
def test_health_metrics_and_spec_stay_open(secured, path):
    assert secured.get(path).status_code == 200


def test_enabling_auth_without_hashes_fails_at_start_up():
    with pytest.raises(ConfigError, match="FOOTPRINT_API_KEY_HASHES"):
        create_app({"auth_enabled": True})


def test_enabling_auth_from_the_environment_without_hashes_fails(monkeypatch):
    monkeypatch.setenv("FOOTPRINT_AUTH_ENABLED", "true")
    monkeypatch.delenv("FOOTPRINT_API_KEY_HASHES", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("FOOTPRINT_API_KEY_HASHES", f" {HASHES[0].upper()} , {HASHES[1]} ")
    client = create_app({"access_log": False}).test_client()
    assert client.post("/v1/estimates/training", json=TRAINING, headers={"X-API-Key": KEY}).status_code == 200
    assert client.post("/v1/estimates/training", json=TRAINING).status_code == 401


@pytest.mark.parametrize("bad", ["not-a-digest", "ab" * 31, "g" * 64, KEY])
def test_a_malformed_hash_fails_at_start_up_without_echoing_it(bad):
    with pytest.raises(ConfigError) as info:
        create_app({"auth_enabled": True, "api_key_hashes": (bad,)})
    assert bad not in str(info.value)


def test_key_helpers():
    digests = parse_key_hashes(True, HASHES)
    assert key_is_valid(KEY, digests) and key_is_valid(OTHER_KEY, digests)
    assert not key_is_valid(None, digests) and not key_is_valid("", digests) and not key_is_valid("nope", digests)
    assert parse_key_hashes(False, ()) == ()
    assert presented_key({"Authorization": "Bearer  abc "}) == "abc"
    assert presented_key({"X-API-Key": "xyz"}) == "xyz"
    assert presented_key({"Authorization": "Token abc"}) is None


def test_comparison_is_constant_time_over_every_hash(monkeypatch):
    import service.api.security as security

    calls = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest", lambda a, b: calls.append(b) or real(a, b))
    assert security.key_is_valid(KEY, parse_key_hashes(True, HASHES))
    assert len(calls) == 2  # no early exit on the first match


# -- CORS -----------------------------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default(client):
    response = client.post("/v1/estimates/training", json=TRAINING, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.get_all("Vary")
    preflight = client.options(
        "/v1/estimates/training", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers


def test_an_allowed_origin_gets_cors_headers(cors):
    response = cors.post("/v1/estimates/training", json=TRAINING, headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers.get_all("Vary")
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def test_an_origin_not_on_the_list_gets_none(cors):
    for origin in ("https://evil.example.org", "https://portal.example.org.evil.com", "null", "*"):
        response = cors.post("/v1/estimates/training", json=TRAINING, headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_for_an_allowed_origin(cors):
    response = cors.options(
        "/v1/estimates/batch",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "x-api-key", "content-type", "x-request-id"} <= allowed
    assert "Origin" in response.headers.get_all("Vary")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_preflight_needs_no_key_but_the_call_does():
    app = create_app(
        {"auth_enabled": True, "api_key_hashes": HASHES, "cors_allowed_origins": (ORIGIN,), "access_log": False}
    )
    client = app.test_client()
    preflight = client.options(
        "/v1/estimates/training", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    denied = client.post("/v1/estimates/training", json=TRAINING, headers={"Origin": ORIGIN})
    assert denied.status_code == 401
    assert denied.headers["Access-Control-Allow-Origin"] == ORIGIN  # the browser may read the 401
    ok = client.post(
        "/v1/estimates/training", json=TRAINING, headers={"Origin": ORIGIN, "Authorization": f"Bearer {KEY}"}
    )
    assert ok.status_code == 200


# -- security headers -----------------------------------------------------------------------------------

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/healthz", {}),
        ("get", "/readyz", {}),
        ("get", "/metrics", {}),
        ("get", "/openapi.yaml", {}),
        ("get", "/v1/accelerators", {}),
        ("get", "/v1/accelerators/nope", {}),
        ("get", "/nowhere", {}),
        ("delete", "/v1/estimates/training", {}),
        ("post", "/v1/estimates/training", {"json": TRAINING}),
        ("post", "/v1/estimates/training", {"json": {}}),
        ("post", "/v1/estimates/training", {"data": "{", "content_type": "application/json"}),
    ],
)
def test_security_headers_on_every_response(client, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get_all(name) == [value], (name, response.status_code)
    if path.startswith("/v1/"):
        assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert len(response.headers.get_all("X-Request-ID")) == 1


def test_a_path_with_a_doubled_slash_is_protected_like_the_path_it_is_routed_to(client):
    # werkzeug routes "//v1/models" to /v1/models, so the answer must carry the same headers.
    response = client.get("/v1/models", environ_overrides={"PATH_INFO": "//v1/models"})
    assert response.status_code == 200
    assert response.headers.get_all("Cache-Control") == ["no-store"]


def test_security_headers_on_a_500(monkeypatch):
    app = create_app({"access_log": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("/secret/path/internal.py")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "/secret/path" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_bodiless_answers_claim_no_media_type(cors):
    # Flask's automatic OPTIONS answer and the CORS preflight carry no body; they were labelled text/html.
    plain = cors.open("/v1/estimates/training", method="OPTIONS")
    assert plain.status_code == 200 and plain.data == b"" and "Content-Type" not in plain.headers
    assert set(plain.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    preflight = cors.open(
        "/v1/estimates/training", method="OPTIONS", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204 and "Content-Type" not in preflight.headers
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_no_static_file_route(client):
    # Flask adds /static/<path:filename> unless told not to; the service serves no files.
    assert not [rule.rule for rule in client.application.url_map.iter_rules() if rule.endpoint == "static"]
    assert client.get("/static/app.js").status_code == 404
