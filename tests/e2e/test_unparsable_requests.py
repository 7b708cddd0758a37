"""Requests that are not valid HTTP/1.1, through the proxy: nginx refuses them before gunicorn sees them, with the
service's one error format (problem+json, the security headers, the request id), never an HTML page or a 500.

gunicorn alone answers such requests with its own text/html page (docs/security.md, "gunicorn without the
proxy"); the last test shows it.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from rawhttp import connect, read_response

from service.api.security import SECURITY_HEADERS

pytestmark = pytest.mark.e2e

POST = b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
#: The problem ``type`` slug of each status nginx answers (the one the service gives the same status).
SLUGS = {
    400: "bad-request",
    413: "request-entity-too-large",
    414: "uri-too-long",
    431: "request-header-fields-too-large",
    501: "not-implemented",
    505: "http-version-not-supported",
}


@pytest.fixture(scope="module")
def server(start_proxied):
    return start_proxied()


def answer(server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with connect(server) as sock:
        sock.sendall(request)
        status_line, headers, body = read_response(sock)
    return int(status_line.split()[1]), headers, body


def assert_problem(status: int, headers: dict[str, str], body: bytes) -> dict:
    assert headers["content-type"] == "application/problem+json", (status, headers, body[:200])
    for name, value in SECURITY_HEADERS.items():
        assert headers[name.lower()] == value, name
    assert headers["cache-control"] == "no-store"
    assert len(headers["x-request-id"]) == 32
    problem = json.loads(body)
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, id="space-in-header-name"),
        pytest.param(b"GET /healthz HTTP/1.1\r\n\r\n", 400, id="http-1.1-without-host"),
        pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, id="request-line-too-long"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 5000 + b"\r\n\r\n", 431, id="field-over-4k"),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 3000) for i in range(7)),
            431,
            id="head-over-16k",
        ),
        pytest.param(POST + b"Transfer-Encoding: br\r\n\r\n", 501, id="unsupported-transfer-coding"),
        pytest.param(POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 501, id="chunked-not-last"),
        pytest.param(
            POST + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            400,
            id="length-and-chunked",
        ),
        pytest.param(POST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, id="two-lengths"),
        pytest.param(b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505, id="bad-http-version"),
        # gunicorn's own rules (its HTML page), applied by nginx: a method of 3-20 capitals, a printable target.
        pytest.param(b"AB /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="method-too-short"),
        pytest.param(b"A" * 21 + b" /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="method-too-long"),
        pytest.param(b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="method-in-lower-case"),
        pytest.param("GET /h\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400, id="target-not-ascii"),
        pytest.param("GET /healthz?q=\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400, id="query-not-ascii"),
        pytest.param(b"GET /h\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="target-with-del"),
        pytest.param(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="asterisk-form"),
        pytest.param(b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="connect"),
        pytest.param(POST + b"Content-Length: 2000000\r\n\r\n{", 413, id="body-over-the-limit"),
    ],
)
def test_an_unparsable_request_gets_a_problem_from_the_proxy(server, request_bytes, status):
    got, headers, body = answer(server, request_bytes)
    assert got == status
    problem = assert_problem(status, headers, body)
    assert problem["type"] == "urn:genai-footprint:problem:" + SLUGS[status]
    assert problem["detail"]


@pytest.mark.parametrize(
    ("chunked_body", "status"),
    [
        pytest.param(b"zz\r\n{}\r\n0\r\n\r\n", 400, id="size-not-hex"),
        pytest.param(b"-2\r\n{}\r\n0\r\n\r\n", 400, id="negative-size"),
        pytest.param(b"0x2\r\n{}\r\n0\r\n\r\n", 400, id="size-with-0x"),
        pytest.param(b"2\r\n{}XX0\r\n\r\n", 400, id="data-without-its-crlf"),
        pytest.param(b"200000\r\n{", 413, id="chunk-over-the-limit"),
        # nginx reads these as the body {} (it accepts bare LF line ends, and drops trailers): the service then
        # answers the {} itself, as it would any empty workload.
        pytest.param(b"2\n{}\n0\n\n", 422, id="bare-lf-lines"),
        pytest.param(b"2\r\n{}\r\n0\r\nBad Trailer\r\n\r\n", 422, id="malformed-trailer"),
    ],
)
def test_a_malformed_chunked_body_is_a_problem_never_a_500(server, chunked_body, status):
    got, headers, body = answer(server, POST + b"Transfer-Encoding: chunked\r\n\r\n" + chunked_body)
    assert got == status
    problem = json.loads(body)
    assert headers["content-type"] == "application/problem+json" and problem["status"] == status
    if status in SLUGS:  # nginx's own answer
        assert_problem(status, headers, body)


def test_the_proxys_problem_has_the_services_shape(server, start_gunicorn):
    """nginx's 413 is the one the service gives gunicorn's direct clients, word for word."""
    direct = start_gunicorn()
    request = POST + b"Content-Length: 2000000\r\nConnection: close\r\n\r\n"
    status, _, through_proxy = answer(server, request)
    direct_status, direct_headers, direct_body = answer(direct, request)
    assert status == direct_status == 413
    assert json.loads(through_proxy) == json.loads(direct_body)
    assert direct_headers["content-type"] == "application/problem+json"


def test_problem_pages_are_not_an_endpoint(server):
    status, headers, body = answer(server, b"GET /_proxy/problem HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 404
    assert assert_problem(404, headers, body)["detail"].startswith("No endpoint at this path.")


def test_gunicorn_alone_answers_its_own_refusals_in_html(start_gunicorn):
    """Without the proxy, gunicorn's parser answers first, in its own format: why the proxy refuses them."""
    direct = start_gunicorn()
    status, headers, body = answer(direct, b"AB /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400 and headers["content-type"].startswith("text/html")
    assert HTTPStatus(status).phrase.encode() in body
