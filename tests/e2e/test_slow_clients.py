"""Slow, stalling, oversized and non-reading clients against the production shape: nginx (the chart's
configuration, Debian's nginx) in front of gunicorn's gthread worker on a unix socket.

gunicorn's gthread worker gives a thread to a connection until its request has arrived and its answer has been
taken: alone, a handful of clients that stall take the service down (the first test shows it). Behind nginx,
gunicorn sees only whole requests and hands over whole answers at once. In each attack below ``/readyz``,
asked through nginx beside the attackers, must answer within ``PROBE_BUDGET_S`` every time (the worst of
``PROBES`` probes), and the attackers must get what docs/security.md says they get.

The proxy runs with short client timeouts (``PROXY``) so that the tests need not wait the chart's 10 s.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from rawhttp import connect, read_response

pytestmark = pytest.mark.e2e

#: Client timeouts of the proxy in these tests (chart defaults: 10 s), and the body limit (chart: 1 MiB).
TIMEOUT_S = 2
MAX_BODY = 262144
PROXY = {
    "proxy.clientHeaderTimeout": TIMEOUT_S,
    "proxy.clientBodyTimeout": TIMEOUT_S,
    "proxy.sendTimeout": TIMEOUT_S,
    "config.maxBodyBytes": MAX_BODY,
}
PROBES = 10
PROBE_BUDGET_S = 0.100
TRAINING = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10}
TRAINING_BODY = json.dumps(TRAINING).encode()
POST_HEAD = b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
PARTIAL_HEAD = POST_HEAD  # a head without its blank line: the client never finishes it
CHUNKED_HEAD = POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.fixture(scope="module")
def server(start_proxied):
    return start_proxied(PROXY)


def readyz_worst_s(server, probes: int = PROBES, quiet: bool = False) -> float:
    """The slowest of ``probes`` GET /readyz through nginx, each on a fresh connection; inf if one failed."""
    worst = 0.0
    for _ in range(probes):
        started = time.perf_counter()
        try:
            answer = requests.get(server.base + "/readyz", timeout=5, headers={"Connection": "close"})
        except requests.RequestException:
            return float("inf")
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            return float("inf")
        worst = max(worst, elapsed)
        time.sleep(0.02)
    if not quiet:  # the figures docs/security.md quotes (pytest -s shows them)
        print(f"\n/readyz worst of {probes}: {worst * 1000:.1f} ms")
    return worst


@contextlib.contextmanager
def attackers(
    port: int, count: int, first_bytes: bytes = b"", pause: float = 0.0, receive_buffer: int | None = None
) -> Iterator[list[socket.socket]]:
    """``count`` connections that send ``first_bytes`` (maybe nothing), ``pause`` s apart, each with a kernel
    receive buffer of ``receive_buffer`` bytes if given (set before connecting, so the window is that small from
    the start); closed on exit."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.settimeout(10)
            if receive_buffer is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect(("127.0.0.1", port))
            if first_bytes:
                sock.sendall(first_bytes)
            sockets.append(sock)
            time.sleep(pause)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_without_an_answer(sock: socket.socket, within_s: float) -> bool:
    """The server closed (or reset) the connection within ``within_s`` and sent nothing before."""
    sock.settimeout(within_s)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def problem_of(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    status, headers, body = read_response(sock)
    assert headers["content-type"] == "application/problem+json", (status, headers)
    return int(status.split()[1]), headers, json.loads(body)


# -- what the proxy is for: gunicorn alone ---------------------------------------------------------------------------
#: gunicorn alone, one worker of the shipped 4 threads (with two, how the kernel spreads the attackers over
#: them decides whether one worker keeps a thread free; each worker falls the same way).
ALONE = {"FOOTPRINT_WORKERS": "1"}


def test_gunicorn_alone_is_starved_by_clients_that_stall(start_gunicorn):
    """What a bare `docker run` (gunicorn without the proxy) does not protect against: a connection that sends
    half a head holds a thread until it finishes or goes, so 8 of them leave /readyz unanswered."""
    alone = start_gunicorn(**ALONE)
    with attackers(alone.port, 8, PARTIAL_HEAD):
        time.sleep(0.3)
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(alone.base + "/readyz", timeout=3)


def test_gunicorn_alone_is_held_by_clients_that_never_read(start_gunicorn):
    """The other thing a bare `docker run` does not protect against: a client that posts a 1,000-item batch and
    never reads its answer (more than a connection's kernel buffers hold) holds the thread writing it, for as
    long as it stays connected; 6 of them leave /readyz unanswered."""
    alone = start_gunicorn(**ALONE)
    with attackers(alone.port, 6, batch_request(), receive_buffer=4096):
        time.sleep(3)  # time enough to compute the answers
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(alone.base + "/readyz", timeout=3)


def batch_request() -> bytes:
    """A 1,000-item batch (137 KB); its answer is about 5.6 MB."""
    items = [{"id": str(i), "kind": "training", "workload": TRAINING} for i in range(1000)]
    batch = json.dumps({"items": items}).encode()
    head = POST_HEAD.replace(b"/v1/estimates/training", b"/v1/estimates/batch")
    return head + b"Content-Length: %d\r\n\r\n%s" % (len(batch), batch)


# -- the attacks, through the proxy ------------------------------------------------------------------------------------
def test_300_clients_that_send_half_a_head_and_stall(server):
    with attackers(server.port, 300, PARTIAL_HEAD) as sockets:
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        # Documented: disconnected without an answer once the head is late (nginx logs 408).
        started = time.monotonic()
        assert all(closed_without_an_answer(sock, TIMEOUT_S + 3) for sock in sockets)
        assert time.monotonic() - started < TIMEOUT_S + 3


def test_clients_that_connect_and_send_nothing(server):
    with attackers(server.port, 300) as sockets:
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        assert all(closed_without_an_answer(sock, TIMEOUT_S + 3) for sock in sockets)


def test_clients_that_stall_in_the_middle_of_a_body(server):
    half = POST_HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(TRAINING_BODY), TRAINING_BODY[:10])
    with attackers(server.port, 300, half) as sockets:
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        assert all(closed_without_an_answer(sock, TIMEOUT_S + 3) for sock in sockets)


def test_clients_trickling_an_oversized_head_get_431(server):
    """Header fields sent a line at a time, 1 KB each, past what nginx accepts (16 KiB in all)."""
    line = b"X-Pad: " + b"a" * 1000 + b"\r\n"
    with attackers(server.port, 50, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + line * 10) as sockets:
        answered: dict[socket.socket, tuple] = {}
        worst = 0.0
        deadline = time.monotonic() + TIMEOUT_S  # within the head timeout, or nginx disconnects them instead
        while len(answered) < len(sockets) and time.monotonic() < deadline:
            waiting = [sock for sock in sockets if sock not in answered]
            for sock in waiting:
                sock.sendall(line)
            readable, _, _ = select.select(waiting, [], [], 0.05)
            for sock in readable:
                answered[sock] = problem_of(sock)
            worst = max(worst, readyz_worst_s(server, probes=1, quiet=True))
    print(f"\n/readyz worst of the probes between the sends: {worst * 1000:.1f} ms")
    assert worst < PROBE_BUDGET_S
    assert len(answered) == 50
    for status, headers, problem in answered.values():
        assert status == 431 and problem["type"].endswith(":request-header-fields-too-large")
        assert headers["connection"] == "close"


def test_clients_declaring_an_oversized_body_get_413_at_once(server):
    with attackers(server.port, 100, POST_HEAD + b"Content-Length: 10000000\r\n\r\n{") as sockets:
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        for sock in sockets:
            sock.settimeout(5)
            status, _, problem = problem_of(sock)
            assert status == 413
            assert problem["detail"] == f"The request body is larger than the limit of {MAX_BODY} bytes."


def test_clients_trickling_a_chunked_body_past_the_limit_get_413(server):
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    with attackers(server.port, 30, CHUNKED_HEAD) as sockets:
        for _ in range(MAX_BODY // 16384 + 2):
            for sock in sockets:
                with contextlib.suppress(OSError):  # refused bodies: nginx may close while we still send
                    sock.sendall(chunk)
            time.sleep(0.05)
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        for sock in sockets:
            sock.settimeout(5)
            status, _, problem = problem_of(sock)
            assert status == 413 and problem["type"].endswith(":request-entity-too-large")


def test_clients_trickling_chunked_bodies_one_byte_at_a_time(server):
    """45 connections send a whole request in one-byte chunks over about 2 s: gunicorn gets each only once
    it has arrived (its own log shows it taking milliseconds), and /readyz is not slowed meanwhile."""
    worst = 0.0
    with attackers(server.port, 45, CHUNKED_HEAD) as sockets:
        for index in range(len(TRAINING_BODY)):
            piece = b"1\r\n%s\r\n" % TRAINING_BODY[index : index + 1]
            for sock in sockets:
                sock.sendall(piece)
            if index % 10 == 0:
                worst = max(worst, readyz_worst_s(server, probes=2, quiet=True))
            time.sleep(0.02)
        print(f"\n/readyz worst of the probes between the chunks: {worst * 1000:.1f} ms")
        assert worst < PROBE_BUDGET_S
        for sock in sockets:
            sock.sendall(b"0\r\n\r\n")
        for sock in sockets:
            sock.settimeout(10)
            status, _, body = read_response(sock)
            assert status == "HTTP/1.1 200 OK" and json.loads(body)["kind"] == "training"
    time.sleep(0.2)
    served = [e for e in server.access_lines() if e["path"] == "/v1/estimates/training"]
    assert len(served) >= 45
    assert max(e["duration_ms"] for e in served[-45:]) < 1000  # the clients took about 2 s each


def test_clients_that_never_read_their_answers(server):
    """10 connections post a 1,000-item batch (an answer of about 5.6 MB, more than the kernel buffers of a
    connection hold) with a 4 KB receive buffer and never read. nginx takes each answer whole (the part that
    does not fit in memory to a temporary file), so gunicorn finishes every one and its threads are free."""
    request = batch_request()

    def batches_served() -> list[dict]:
        return [e for e in server.access_lines() if e["path"] == "/v1/estimates/batch"]

    before = len(batches_served())
    with attackers(server.port, 10, request, receive_buffer=4096) as sockets:
        deadline = time.monotonic() + 60
        while len(batches_served()) < before + 10:
            assert time.monotonic() < deadline, "gunicorn did not finish the 10 answers nobody reads"
            time.sleep(0.1)
        assert readyz_worst_s(server) < PROBE_BUDGET_S
        # Documented: a client that takes none of its answer for send_timeout is disconnected.
        answer_bytes = batches_served()[-1]["bytes"]
        time.sleep(TIMEOUT_S + 1)
        for sock in sockets:
            received = 0
            sock.settimeout(5)
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    received += len(chunk)
            assert received < answer_bytes, "the client got its whole answer although it stopped reading"


# -- ordinary clients see no difference ----------------------------------------------------------------------------
def estimate_request(body: bytes = TRAINING_BODY, extra: bytes = b"") -> bytes:
    return POST_HEAD + b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def test_a_request_sent_in_pieces_within_the_timeouts_is_answered(server):
    request = estimate_request()
    with connect(server) as sock:
        for start in range(0, len(request), 40):
            sock.sendall(request[start : start + 40])
            time.sleep(0.05)
        status, _, body = read_response(sock)
    assert status == "HTTP/1.1 200 OK" and json.loads(body)["kind"] == "training"


def test_pipelined_requests_are_answered_in_order_on_one_connection(server):
    last = estimate_request(b"{}", extra=b"Connection: close\r\n")
    with connect(server) as sock:
        sock.sendall(estimate_request() + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + last)
        received = b""
        while chunk := sock.recv(65536):  # the three answers may arrive in one segment: split them here
            received += chunk
    answers = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
        answers.append((head.split(b" ")[1], rest[:length]))
        received = rest[length:]
    assert [status for status, _ in answers] == [b"200", b"200", b"422"]
    assert json.loads(answers[0][1])["kind"] == "training" and json.loads(answers[1][1])["status"] == "ok"


def test_keep_alive_connection_serves_many_requests(server):
    with requests.Session() as session:
        answers = [session.post(server.base + "/v1/estimates/training", json=TRAINING, timeout=5) for _ in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["energy_kwh"]["value"] for a in answers}) == 1


def test_a_chunked_body_is_answered(server):
    chunks = [TRAINING_BODY[:17], TRAINING_BODY[17:]]
    with connect(server) as sock:
        sock.sendall(CHUNKED_HEAD)
        time.sleep(0.2)
        sock.sendall(b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n")
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
