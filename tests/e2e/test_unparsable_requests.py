"""Requests gunicorn's parser refuses before the app sees them still get the service's one error format.

gunicorn answers these itself (text/html by default); the service's worker class makes them problem+json with
the security headers, the status gunicorn chose, and the standard reason phrase.
"""

from __future__ import annotations

import json
import time

import pytest
from rawhttp import connect, read_response

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(start_gunicorn):
    return start_gunicorn()


@pytest.mark.parametrize(
    ("request_bytes", "status", "detail_part"),
    [
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, "Bad Header", id="space-in-header-name"
        ),
        pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "4094", id="request-line-too-long"),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
            431,
            "fields",
            id="too-many-header-fields",
        ),
        pytest.param(
            b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br\r\n\r\n",
            501,
            "br",
            id="unsupported-transfer-coding",
        ),
        pytest.param(
            b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            400,
            "",
            id="chunked-not-last",
        ),
        pytest.param(b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "(9, 9)", id="bad-http-version"),
    ],
)
def test_an_unparsable_request_gets_a_closing_problem(server, request_bytes, status, detail_part):
    from http import HTTPStatus

    with connect(server) as sock:
        sock.sendall(request_bytes)
        status_line, headers, body = read_response(sock)
        assert sock.recv(1) == b""  # and the connection is closed
    assert status_line == f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"
    assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] == HTTPStatus(status).phrase
    assert problem["type"] == "urn:genai-footprint:problem:" + HTTPStatus(status).phrase.lower().replace(" ", "-")
    assert detail_part in problem["detail"]
    assert server.metric("genai_footprint_client_errors_total", reason="unparsable") >= 1


#: What the worker answers itself (service/serving/framing.py): broken chunk framing, before any thread.
FRAMING = "The chunked request body is malformed (RFC 9112 section 7.1)"
#: What the application answers when gunicorn's parser fails while it reads a whole body (a bad trailer).
UNREADABLE = "The request body could not be read"


@pytest.mark.parametrize(
    ("chunked_body", "detail_part"),
    [
        pytest.param(b"zz\r\n{}\r\n0\r\n\r\n", FRAMING, id="size-not-hex"),
        pytest.param(b"-2\r\n{}\r\n0\r\n\r\n", FRAMING, id="negative-size"),
        pytest.param(b"0x2\r\n{}\r\n0\r\n\r\n", FRAMING, id="size-with-0x"),
        pytest.param(b" 2\r\n{}\r\n0\r\n\r\n", FRAMING, id="size-after-a-space"),
        pytest.param(b"2\r\n{}XX0\r\n\r\n", FRAMING, id="data-without-its-crlf"),
        pytest.param(b"2\n{}\n0\n\n", FRAMING, id="bare-lf-lines"),
        pytest.param(b"2\r\n{}\r\n0\r\nBad Trailer\r\n\r\n", UNREADABLE, id="malformed-trailer"),
    ],
)
def test_a_malformed_chunked_body_is_a_400_not_a_500(server, chunked_body, detail_part):
    # It was a 500 (gunicorn's parse error raised into the app), and a bare-LF chunk line waited 10 s for a 408.
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunked_body
        )
        status_line, headers, body = read_response(sock)
        assert sock.recv(1) == b""  # the connection is closed after it
    assert time.monotonic() - started < 2
    assert status_line.split()[:2] == ["HTTP/1.1", "400"]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["type"].endswith(":bad-request") and problem["status"] == 400
    assert problem["detail"].startswith(detail_part)
    if detail_part == FRAMING:
        assert headers["connection"] == "close"
    assert not any('"unhandled error"' in line for line in server.log_lines())
