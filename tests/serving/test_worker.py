"""service/serving/worker.py without a server: what it refuses to run with, and its 408 answer.

Its behaviour with real clients is tested against gunicorn in tests/e2e/test_slow_clients.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import socket
import time
from concurrent.futures import Future

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from service.api.security import SECURITY_HEADERS
from service.serving.worker import (
    RECV_BYTES,
    BufferedConn,
    BufferingThreadWorker,
    _request_timeout_response,
    _TimedSocket,
)


def config(**settings) -> Config:
    cfg = Config()
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg


def test_plain_http_1_1_is_accepted():
    BufferingThreadWorker.check_config(config(), logging.getLogger("test"))


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"certfile": __file__, "keyfile": __file__}, id="tls"),
        pytest.param({"http2_cleartext": "prior-knowledge"}, id="h2c-prior-knowledge"),
        pytest.param({"http2_cleartext": "upgrade"}, id="h2c-upgrade"),
    ],
)
def test_what_the_poller_cannot_read_is_refused_at_start_up(settings):
    with pytest.raises(SystemExit, match="FOOTPRINT_WORKER_CLASS=gthread"):
        BufferingThreadWorker.check_config(config(**settings), logging.getLogger("test"))


def test_the_408_answer_is_a_closing_problem_with_the_service_headers():
    head, _, body = _request_timeout_response(7).partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert status == "HTTP/1.1 408 Request Timeout"
    assert headers.items() >= SECURITY_HEADERS.items()
    assert headers["Connection"] == "close" and headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "application/problem+json" and int(headers["Content-Length"]) == len(body)
    assert json.loads(body) == {
        "type": "urn:genai-footprint:problem:request-timeout",
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request did not arrive in full within 7 s (FOOTPRINT_CLIENT_TIMEOUT).",
    }


# -- the poller side, driven by hand: real sockets, the worker's own callbacks, no threads ------------------------

SMALL = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def post_head(length: int) -> bytes:
    return b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % length


class RecordingPool:
    """Stands in for the thread pool: records the connections handed to threads."""

    def __init__(self) -> None:
        self.handed_over: list[BufferedConn] = []

    def submit(self, _fn, conn) -> Future:
        self.handed_over.append(conn)
        return Future()  # never completes: these tests stop at the hand-over


class Harness:
    def __init__(self, client_timeout: float = 10, max_body_bytes: int = 1_048_576) -> None:
        cfg = Config()
        self.worker = BufferingThreadWorker(1, os.getpid(), [], None, 30, cfg, glogging.Logger(cfg))
        self.worker.client_timeout, self.worker.max_body_bytes = client_timeout, max_body_bytes
        self.worker.poller = selectors.DefaultSelector()
        self.worker.tpool = RecordingPool()
        self.worker.init_buffering()
        self.clients: list[socket.socket] = []

    @property
    def handed_over(self) -> list[BufferedConn]:
        return self.worker.tpool.handed_over

    def connect(self) -> tuple[socket.socket, BufferedConn]:
        """A connection as ``accept`` sets it up, and the client end of it."""
        client, server = socket.socketpair()
        client.settimeout(2)  # a regression fails the test instead of hanging it
        sock = _TimedSocket(server.family, server.type, server.proto, fileno=server.detach())
        sock.io_timeout = self.worker.client_timeout
        conn = BufferedConn(self.worker.cfg, sock, ("127.0.0.1", 50000 + len(self.clients)), ("127.0.0.1", 8080))
        conn.linger = self.worker._linger
        self.worker.nr_conns += 1
        self.worker._start_receiving(conn, time.monotonic())
        self.clients.append(client)
        return client, conn

    def poll(self) -> None:
        """Run the poller's callbacks until nothing more is ready."""
        while events := self.worker.poller.select(0):
            for key, _ in events:
                key.data(key.fileobj)

    def expire(self) -> None:
        self.worker.next_expiry_check = 0.0
        self.worker.murder_pending()


@pytest.fixture
def harness():
    made = Harness()
    yield made
    for client in made.clients:
        client.close()


def test_a_whole_request_goes_to_a_thread_with_its_bytes(harness):
    client, conn = harness.connect()
    client.sendall(SMALL)
    harness.poll()
    assert harness.handed_over == [conn] and bytes(conn.received) == SMALL
    assert conn not in harness.worker.receiving and harness.worker.buffered_bytes == 0


def test_a_request_in_pieces_goes_to_a_thread_only_when_whole(harness):
    client, conn = harness.connect()
    request = post_head(2) + b"{}"
    for piece in (request[:10], request[10:-1]):
        client.sendall(piece)
        harness.poll()
        assert harness.handed_over == []
    client.sendall(request[-1:])
    harness.poll()
    assert harness.handed_over == [conn] and bytes(conn.received) == request


def test_100_continue_is_sent_once_when_the_head_asks_for_it(harness):
    client, conn = harness.connect()
    client.sendall(post_head(2)[:-2] + b"Expect: 100-continue\r\n\r\n")
    harness.poll()
    client.sendall(b"{")
    harness.poll()
    assert client.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n" and conn.continue_sent
    client.sendall(b"}")
    harness.poll()
    assert harness.handed_over == [conn]


def test_a_client_that_closes_mid_request_is_dropped(harness):
    client, conn = harness.connect()
    client.sendall(post_head(10))
    client.close()
    harness.poll()
    assert harness.handed_over == [] and harness.worker.receiving == {} and harness.worker.nr_conns == 0


def test_past_the_deadline_a_partial_request_gets_408_and_a_silent_one_is_closed():
    harness = Harness(client_timeout=0.05)
    partial_client, _ = harness.connect()
    silent_client, _ = harness.connect()
    partial_client.sendall(b"GET /healthz HTTP/1.1\r\n")
    harness.poll()
    harness.expire()
    assert harness.worker.receiving != {}  # not yet
    time.sleep(0.1)
    harness.expire()
    assert harness.worker.receiving == {} and harness.worker.nr_conns == 0
    assert partial_client.recv(1000).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert silent_client.recv(1000) == b""


def test_a_stopping_worker_closes_connections_that_have_not_started_a_request(harness):
    silent_client, _ = harness.connect()
    partial_client, partial = harness.connect()
    partial_client.sendall(b"GET /healthz HTTP/1.1\r\n")
    harness.poll()
    harness.worker.alive = False
    harness.expire()
    assert silent_client.recv(10) == b""
    assert list(harness.worker.receiving) == [partial]  # may still finish before its deadline


def test_past_the_buffer_budget_big_requests_wait_and_small_ones_are_still_read(harness):
    worker = harness.worker
    worker.max_buffered_bytes = 2 * RECV_BYTES
    head = post_head(500_000)
    first_client, first = harness.connect()
    first_client.sendall(head + b"x" * 2 * RECV_BYTES)
    harness.poll()
    second_client, second = harness.connect()
    second_client.sendall(head + b"x" * (RECV_BYTES + 1000))
    harness.poll()
    assert worker.paused == {first, second}  # each stopped once it held RECV_BYTES and the budget was spent
    assert worker.max_buffered_bytes <= worker.buffered_bytes <= worker.max_buffered_bytes + RECV_BYTES
    small_client, small = harness.connect()
    small_client.sendall(SMALL)
    harness.poll()
    assert harness.handed_over == [small]  # read although the budget is spent
    first.deadline = 0.0
    harness.expire()  # the first one runs out of time: its bytes are freed and the second is read again
    assert first_client.recv(100).startswith(b"HTTP/1.1 408")
    harness.poll()
    assert worker.paused == set() and len(second.received) == len(head) + RECV_BYTES + 1000


def test_a_closing_connection_is_drained_by_the_poller_until_the_client_closes(harness):
    client, conn = harness.connect()
    harness.worker._stop_receiving(conn)
    conn.close(graceful=True)
    assert client.recv(10) == b""  # the server's FIN
    client.sendall(b"late bytes")
    harness.poll()
    assert conn.sock in harness.worker.lingering  # still draining: the client has not closed
    client.close()
    harness.poll()
    assert harness.worker.lingering == {} and conn.sock.fileno() == -1


def test_a_lingering_close_ends_at_its_deadline(harness, monkeypatch):
    client, conn = harness.connect()
    harness.worker._stop_receiving(conn)
    conn.close(graceful=True)
    monkeypatch.setattr(time, "monotonic", lambda: float("inf"))
    harness.expire()
    assert harness.worker.lingering == {} and conn.sock.fileno() == -1


def test_a_kept_alive_connection_with_its_whole_request_waiting_skips_the_poller(harness):
    client, conn = harness.connect()
    harness.worker._stop_receiving(conn)  # as after a first request: the connection is gthread's again
    client.sendall(SMALL)
    harness.worker.enqueue_req(conn)  # gthread: "this kept-alive socket is readable"
    assert harness.handed_over == [conn] and not conn.registered


def test_a_kept_alive_connection_with_half_a_request_waits_on_the_poller(harness):
    client, conn = harness.connect()
    harness.worker._stop_receiving(conn)
    client.sendall(SMALL[:10])
    harness.worker.enqueue_req(conn)
    assert harness.handed_over == [] and conn.registered and conn in harness.worker.receiving
    client.sendall(SMALL[10:])
    harness.poll()
    assert harness.handed_over == [conn] and bytes(conn.received) == SMALL


def client_errors(reason: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("genai_footprint_client_errors_total", {"reason": reason}) or 0.0


@pytest.mark.parametrize(
    ("status", "gunicorn_reason", "title", "slug", "counted"),
    [
        pytest.param(
            431,
            "Request Header Fields Too Large",
            "Request Header Fields Too Large",
            "request-header-fields-too-large",
            1,
            id="client-error",
        ),
        pytest.param(501, "Bad Request", "Not Implemented", "not-implemented", 1, id="gunicorn-reason-replaced"),
        pytest.param(500, "Internal Server Error", "Internal Server Error", "internal-error", 0, id="server-error"),
    ],
)
def test_gunicorn_error_answers_become_problems(status, gunicorn_reason, title, slug, counted):
    from service.observability.metrics import get_metrics
    from service.serving.worker import write_protocol_problem

    get_metrics()
    before = client_errors("unparsable")
    client, server = socket.socketpair()
    with client, server:
        write_protocol_problem(server, status, gunicorn_reason, "Error parsing headers: 'limit'")
        head, _, body = client.recv(65536).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == f"HTTP/1.1 {status} {title}".encode()
    problem = json.loads(body)
    assert problem["type"] == f"urn:genai-footprint:problem:{slug}" and problem["title"] == title
    # The parser's message is the detail; a 500 (an app or configuration fault) says nothing of the internals.
    assert ("limit" in problem["detail"]) is (status != 500)
    assert client_errors("unparsable") - before == counted


def read_answer(client: socket.socket) -> tuple[str, dict]:
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(), json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status_line", "reason", "detail_part"),
    [
        pytest.param(
            post_head(2_000_000),
            "HTTP/1.1 413 Request Entity Too Large",
            "too_large",
            "limit of 1048576 bytes",
            id="content-length-over-the-limit",
        ),
        pytest.param(
            post_head(2_000_000)[:-2] + b"Expect: 100-continue\r\n\r\n",
            "HTTP/1.1 413 Request Entity Too Large",
            "too_large",
            "limit",
            id="over-the-limit-expecting-100-continue",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n{",
            "HTTP/1.1 413 Request Entity Too Large",
            "too_large",
            "limit",
            id="chunk-over-the-limit",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 400 Bad Request",
            "unparsable",
            "RFC 9112",
            id="chunk-size-not-hex",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}",
            "HTTP/1.1 400 Bad Request",
            "unparsable",
            "RFC 9112",
            id="chunk-line-bare-lf",
        ),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 70_000,
            "HTTP/1.1 431 Request Header Fields Too Large",
            "unparsable",
            "65536 bytes",
            id="head-over-the-limit",
        ),
    ],
)
def test_a_body_over_the_limit_or_badly_chunked_is_answered_by_the_poller(
    harness, request_bytes, status_line, reason, detail_part
):
    # Handed to a thread, these bodies were read there with blocking calls for as long as the client kept
    # trickling bytes: sixteen clients sending a byte every 2 s after a 2 MiB chunk size took the service down.
    before = client_errors(reason)
    client, conn = harness.connect()
    client.sendall(request_bytes)
    harness.poll()
    assert harness.handed_over == [] and conn not in harness.worker.receiving
    assert conn.sock in harness.worker.lingering  # closed the lingering way: the client may still be sending
    client.shutdown(socket.SHUT_WR)
    harness.poll()
    answer_line, problem = read_answer(client)
    assert answer_line == status_line and detail_part in problem["detail"]
    assert problem["status"] == int(status_line.split()[1])
    assert client_errors(reason) == before + 1


def test_pipelined_requests_already_buffered_are_handed_over_before_reading_more(harness):
    # Found by an adversarial run: the poller read up to RECV_BYTES more for every pipelined request served,
    # so one client pipelining tiny GETs grew a worker past 500 MB (no budget counted those bytes).
    client, conn = harness.connect()
    client.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        for _ in range(10_000):  # far more than one read: the socket keeps a backlog the poller must not take
            client.send(SMALL * 100)
    harness.poll()
    assert harness.handed_over == [conn]
    held = len(conn.received)
    assert 0 < held <= RECV_BYTES
    harness.worker.enqueue_req(conn)  # the thread is done with the first request; the rest is still buffered
    assert harness.handed_over == [conn, conn] and len(conn.received) == held  # nothing more was read
