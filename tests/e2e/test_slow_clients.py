"""Slow and stalling clients against a real gunicorn (service/serving/worker.py, the default worker class).

The shipped server has 2 workers x 4 threads. With gunicorn's plain gthread worker a client holds a thread
from the moment it connects until its request has arrived, so a handful of clients that connect and stall
take the whole service down (the first test shows it on gthread itself). The buffered worker reads requests
in its poller and gives threads only whole ones; a stalled client gets 408 after FOOTPRINT_CLIENT_TIMEOUT.

"Served" below means answered within ``ANSWER_TIMEOUT_S``: far longer than a request takes, far shorter than
the stalls, so it tells an unblocked service from a blocked one (a benchmark measures speed, not these).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import time

import pytest
import requests
from rawhttp import connect, read_response

pytestmark = pytest.mark.e2e

CLIENT_TIMEOUT_S = 2
ANSWER_TIMEOUT_S = 5
STALLERS = 20  # more than the 2 x 4 threads
TRAINING = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10}
TRAINING_BODY = json.dumps(TRAINING).encode()
PARTIAL_HEAD = b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\n"
STALLED_BODY = (
    b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(TRAINING_BODY), TRAINING_BODY[:10])
)


@pytest.fixture(scope="module")
def server(start_gunicorn):
    return start_gunicorn(FOOTPRINT_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT_S), FOOTPRINT_MAX_BODY_BYTES="65536")


@contextlib.contextmanager
def stalled_clients(server, first_bytes: bytes, count: int = STALLERS, pause: float = 0.0):
    """``count`` connections that send ``first_bytes`` (maybe nothing) and then nothing more, ``pause`` s apart."""
    sockets = []
    try:
        for _ in range(count):
            time.sleep(pause)
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            if first_bytes:
                sock.sendall(first_bytes)
            sockets.append(sock)
        time.sleep(0.3)  # let every worker take its share of them
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def served(server, path: str = "/readyz", timeout: float = ANSWER_TIMEOUT_S) -> bool:
    try:
        return requests.get(server.base + path, timeout=timeout).status_code == 200
    except requests.exceptions.Timeout:
        return False


def estimate_request(body: bytes = TRAINING_BODY, extra: bytes = b"") -> bytes:
    return (
        b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)
    )


# -- the attack, on gunicorn's own gthread worker and on the shipped one ------------------------------------------
def test_plain_gthread_is_starved_by_clients_that_stall(start_gunicorn):
    """Why the service has its own worker: the same attack leaves gthread's /readyz unanswered."""
    gthread = start_gunicorn(FOOTPRINT_WORKER_CLASS="gthread")
    # Paced, so that both workers take their share: a worker left with no staller would still answer.
    with stalled_clients(gthread, PARTIAL_HEAD, count=2 * STALLERS, pause=0.01):
        assert not served(gthread)


@pytest.mark.parametrize(
    "first_bytes",
    [
        pytest.param(b"", id="connect-and-send-nothing"),
        pytest.param(PARTIAL_HEAD, id="half-a-head"),
        pytest.param(STALLED_BODY, id="half-a-body"),
        pytest.param(estimate_request(extra=b"Expect: 100-continue\r\n")[:-5], id="half-a-body-after-100-continue"),
    ],
)
def test_clients_that_stall_do_not_hold_threads(server, first_bytes):
    with stalled_clients(server, first_bytes):
        assert served(server)
        estimate = requests.post(server.base + "/v1/estimates/training", json=TRAINING, timeout=ANSWER_TIMEOUT_S)
        assert estimate.status_code == 200 and estimate.json()["kind"] == "training"


def test_a_request_not_sent_in_time_gets_408_problem_and_the_connection_closes(server):
    with connect(server) as sock:
        sock.sendall(PARTIAL_HEAD)
        started = time.monotonic()
        status, headers, body = read_response(sock)
        waited = time.monotonic() - started
        assert sock.recv(1) == b""  # closed by the server
    assert status == "HTTP/1.1 408 Request Timeout"
    assert waited >= CLIENT_TIMEOUT_S - 0.5  # not before the deadline
    assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    problem = json.loads(body)
    assert problem["status"] == 408 and problem["type"].endswith(":request-timeout")
    assert f"{CLIENT_TIMEOUT_S} s" in problem["detail"]
    assert any(
        f"sent {len(PARTIAL_HEAD)} bytes of a request in {CLIENT_TIMEOUT_S} s" in line
        for line in server.log_lines("stderr")
    )
    assert server.metric("genai_footprint_client_errors_total", reason="request_timeout") >= 1


def test_a_connection_that_never_sends_a_byte_is_closed_without_an_answer(server):
    with connect(server) as sock:
        assert sock.recv(1) == b""


# -- ordinary clients see no difference -------------------------------------------------------------------------
def test_a_request_sent_in_pieces_within_the_timeout_is_answered(server):
    request = estimate_request()
    with connect(server) as sock:
        for start in range(0, len(request), 40):
            sock.sendall(request[start : start + 40])
            time.sleep(0.05)
        status, _, body = read_response(sock)
    assert status == "HTTP/1.1 200 OK" and json.loads(body)["kind"] == "training"


def test_pipelined_requests_are_answered_in_order_on_one_connection(server):
    with connect(server) as sock:
        sock.sendall(estimate_request() + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + estimate_request(b"{}"))
        answers = [read_response(sock) for _ in range(3)]
    assert [status for status, _, _ in answers] == [
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 422 UNPROCESSABLE ENTITY",
    ]
    assert json.loads(answers[0][2])["kind"] == "training" and json.loads(answers[1][2])["status"] == "ok"


def test_keep_alive_connection_serves_many_requests(server):
    with requests.Session() as session:
        answers = [
            session.post(server.base + "/v1/estimates/training", json=TRAINING, timeout=ANSWER_TIMEOUT_S)
            for _ in range(20)
        ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["energy_kwh"]["value"] for a in answers}) == 1


def test_a_chunked_body_is_answered(server):
    chunks = [TRAINING_BODY[:17], TRAINING_BODY[17:]]
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        time.sleep(0.2)
        sock.sendall(body)
        status, _, answer = read_response(sock)
    assert status == "HTTP/1.1 200 OK" and json.loads(answer)["kind"] == "training"


def test_expect_100_continue_gets_exactly_one_interim_answer(server):
    head, _, body = estimate_request(extra=b"Expect: 100-continue\r\n").partition(b"\r\n\r\n")
    with connect(server) as sock:
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        status, _, answer = read_response(sock)
    assert status == "HTTP/1.1 200 OK" and json.loads(answer)["kind"] == "training"


OVERSIZED_HEADS = {
    "content-length": b"Content-Length: 10000000\r\n\r\n{",
    "content-length-of-19-digits": b"Content-Length: 1000000000000000000\r\n\r\n{",
    "chunk-size": b"Transfer-Encoding: chunked\r\n\r\n200000\r\n{",
}


@pytest.mark.parametrize("oversized", OVERSIZED_HEADS.values(), ids=OVERSIZED_HEADS.keys())
def test_a_body_over_the_limit_is_refused_without_waiting_for_it(server, oversized):
    with connect(server, timeout=ANSWER_TIMEOUT_S) as sock:
        sock.sendall(
            b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + oversized
        )
        status, headers, body = read_response(sock)
    # The worker answers it (before any thread, and before a 100 Continue), as the application would.
    assert status == "HTTP/1.1 413 Request Entity Too Large" and headers["connection"] == "close"
    assert headers["content-type"] == "application/problem+json" and headers["x-content-type-options"] == "nosniff"
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["type"].endswith(":request-entity-too-large")
    assert problem["detail"] == "The request body is larger than the limit of 65536 bytes."


TRICKLED = {
    **{
        name: b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head
        for name, head in OVERSIZED_HEADS.items()
    },
    "head": b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(66)),
    # 1,000 bytes with leading zeros: gunicorn reads it so, and the worker used to hand it over as malformed.
    "content-length-with-leading-zeros": b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 0000000000000000001000\r\n\r\n{",
}


@pytest.mark.parametrize("head", TRICKLED.values(), ids=TRICKLED.keys())
def test_clients_trickling_an_oversized_request_do_not_hold_threads(server, head):
    # Found while checking an adversarial run's report: handed to a thread, an oversized body (or a head over
    # 64 KiB) was read there, and a byte every 2 s kept each read within the timeout; sixteen such clients
    # left /readyz unanswered.
    with stalled_clients(server, head) as sockets:
        stop = time.monotonic() + 3
        while time.monotonic() < stop:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(b" ")
            assert served(server, timeout=2)
            time.sleep(0.5)


# -- the other end: clients that do not read, or do not close -----------------------------------------------------
def test_clients_that_do_not_read_their_answers_release_their_threads(server):
    """Pipelined batches whose answers (~1 MB each) nobody reads: a thread's send gives up after the timeout."""
    batch = json.dumps({"items": [{"id": str(i), "kind": "training", "workload": TRAINING} for i in range(300)]})
    request = (
        b"POST /v1/estimates/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(batch), batch.encode())
    )
    sockets = []
    try:
        for _ in range(STALLERS):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(request * 6)
            sockets.append(sock)
        time.sleep(1)
        # Threads blocked on these clients are freed one timeout later; without a timeout, never.
        assert served(server, timeout=5 * CLIENT_TIMEOUT_S)
    finally:
        for sock in sockets:
            sock.close()
    errors = "\n".join(server.log_lines("stderr"))
    assert f"did not read its answer within {CLIENT_TIMEOUT_S} s" in errors  # a one-line warning each,
    assert "Socket error processing request" not in errors  # not gthread's error with a traceback
    assert server.metric("genai_footprint_client_errors_total", reason="response_timeout") >= 1


def test_clients_that_keep_a_closing_connection_open_do_not_stall_the_others(server):
    """gthread drains a closing connection with a blocking read of up to 2 s on its poller thread."""
    sockets = []
    try:
        for _ in range(12):
            sock = connect(server)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            sockets.append(sock)  # answered, never read, never closed
        time.sleep(0.3)
        assert served(server)
    finally:
        for sock in sockets:
            sock.close()


def test_a_stopping_server_does_not_wait_for_connections_that_never_sent_a_request(start_gunicorn):
    """SIGTERM: idle connections are closed at once, not kept until their deadline (here past the 30 s grace)."""
    stopping = start_gunicorn(FOOTPRINT_CLIENT_TIMEOUT="60")
    with stalled_clients(stopping, b"", count=4) as sockets:
        stopping.process.send_signal(signal.SIGTERM)
        stopping.process.wait(timeout=10)
        assert all(sock.recv(1) == b"" for sock in sockets)
    assert stopping.process.returncode == 0


def test_a_server_stopped_while_a_worker_still_boots_exits_promptly(start_gunicorn):
    """/readyz answers once one worker is up; SIGTERM then can reach the other while it loads the app.

    The worker must have its signal handlers by then (a SIGTERM before them is lost, and the master kills the
    worker only after the 30 s graceful timeout).
    """
    stopping = start_gunicorn()
    stopping.process.send_signal(signal.SIGTERM)
    stopping.process.wait(timeout=10)
    assert stopping.process.returncode == 0
