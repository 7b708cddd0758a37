"""The service's gunicorn worker: gthread, except that a thread only ever gets a request that has fully arrived.

gunicorn's gthread worker (27.x) gives every new connection to a pool thread at once, and the thread reads
the request with blocking calls. Measured with the shipped 2 workers x 4 threads: eight clients that connect
and send half a request head (slowloris), or twenty that stall half-way through a body, left ``/readyz``
unanswered for as long as they stayed connected (tests/e2e/test_slow_clients.py). This worker keeps the pool
for work that is ready:

* **Requests are read by the poller thread**, without blocking, into a per-connection buffer, until
  ``framing.request_readiness`` says the request is complete (head, and a body up to the service's body
  limit). Only then does a thread get the connection, with the bytes already in gunicorn's parser: parsing
  and everything after it is unchanged gthread code.
* **A client has ``client_timeout`` seconds** (``FOOTPRINT_CLIENT_TIMEOUT``, default 10) to send its whole
  request, from the moment its connection is accepted or a kept-alive connection shows a new request. Then
  it gets ``408`` problem+json and the connection closes; a connection that sent nothing is just closed.
* **A head over 64 KiB, a body over the size limit, or broken chunked framing is answered by the poller** (431,
  413 or 400, then a lingering close): handed to a thread, gunicorn would read the rest there with blocking
  calls, for as long as the client kept trickling bytes.
* **Blocking calls left in threads are bounded by the same timeout**: a response to a client that does not
  read it, or a head handed over unfinished because it is over the head limit (``_TimedSocket``).
* **Memory stays bounded**: the buffers of unfinished requests share a budget of ``BUFFERED_BODIES`` bodies
  of the largest size; past it, connections that already hold ``RECV_BYTES`` wait until it frees up, while
  ordinary small requests are still read.
* **Closing without blocking the poller**: gthread lingers on a closing connection (RFC 9112 9.6: drain
  what the client still sends, so the kernel does not reset the answer) with a blocking read of up to 2 s in
  the poller thread, so one client that keeps a ``Connection: close`` socket open stalls every other
  connection of that worker. Here the drain is an ordinary non-blocking poller callback.

``Expect: 100-continue`` is answered by the poller thread (the body is read there too), and gunicorn's own
interim answer is then skipped so the client sees exactly one. TLS and HTTP/2 are not handled (the service
serves plain HTTP/1.1 behind its ingress): ``check_config`` refuses them at start-up.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import selectors
import socket
import time
from functools import cached_property, partial
from http import HTTPStatus
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import TConn, ThreadWorker

from .framing import MAX_HEAD_BYTES, ChunkProgress, Readiness, request_readiness

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: Bytes read per readiness event of a connection.
RECV_BYTES = 65_536
#: How long a closing connection is drained (gunicorn's ``util.close_graceful`` uses the same 2 s and 64 KiB).
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 65_536
#: How often the poller looks for connections past their deadline.
EXPIRY_INTERVAL_S = 0.25
#: Bytes of unfinished requests a worker holds, in bodies of the largest accepted size. Past it, connections
#: that already hold ``RECV_BYTES`` are not read until others finish (their deadline still runs), so a worker
#: holds at most this many bodies plus ``RECV_BYTES`` per connection (1,000 connections: 64 MB).
BUFFERED_BODIES = 32


class _TimedSocket(socket.socket):
    """A client socket whose *blocking* mode has a timeout.

    gthread switches a connection's socket to blocking mode (``setblocking(True)``) whenever a thread takes
    it. Here that means a timeout of ``io_timeout`` seconds per call (for ``sendall``, on the whole call), so
    no thread waits on a client for longer than that.
    """

    io_timeout: float = 10.0

    def setblocking(self, flag: bool) -> None:
        self.settimeout(self.io_timeout if flag else 0.0)


class BufferedConn(TConn):
    """A gthread connection plus what the poller has read of its next request."""

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any) -> None:
        super().__init__(cfg, sock, client, server)
        self.received = bytearray()
        #: How far the framing check got through a chunked body of the request being received.
        self.progress = ChunkProgress()
        self.deadline = 0.0
        self.continue_sent = False
        #: Whether the worker's poller watches the socket (while a request is being received).
        self.registered = False
        #: The worker's non-blocking lingering close (``BufferingThreadWorker._linger``).
        self.linger: Any = None

    def close(self, graceful: bool = False) -> None:
        if graceful and self.linger is not None:
            self.linger(self.sock)
        else:
            super().close(graceful)


class BufferingThreadWorker(ThreadWorker):
    """``FOOTPRINT_WORKER_CLASS=buffered`` (the default): see the module docstring."""

    #: Seconds a client has to send a whole request; also the timeout of a blocking call in a thread.
    #: ``service.gunicorn_conf`` sets it from FOOTPRINT_CLIENT_TIMEOUT in ``post_fork``.
    client_timeout: float = 10.0
    #: Bodies up to this size are read before a thread is involved; larger ones are handed over at once so
    #: the application refuses them (413) without waiting for them. The service's FOOTPRINT_MAX_BODY_BYTES.
    max_body_bytes: int = 1_048_576

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.http2_cleartext != "off" or getattr(cfg, "protocol", "http") != "http":
            raise SystemExit(
                "FOOTPRINT_WORKER_CLASS=buffered serves plain HTTP/1.1 only (no TLS, HTTP/2 or uwsgi): "
                "terminate TLS at the ingress, or set FOOTPRINT_WORKER_CLASS=gthread."
            )

    def init_process(self) -> None:
        # gunicorn answers requests it cannot parse (bad header, URI too long, too many fields...) itself, as
        # text/html; ``handle_error`` writes them with ``util.write_error``, which this worker process swaps
        # for the service's one error format.
        gunicorn_util.write_error = write_protocol_problem
        self.init_buffering()
        super().init_process()

    def init_buffering(self) -> None:
        """The worker's own state (``init_process`` then loads the app and runs the loop)."""
        #: Connections the poller is reading a request from, in the order their deadlines fall.
        self.receiving: dict[BufferedConn, None] = {}
        #: Receiving connections not read for now (the buffer budget is spent): off the poller.
        self.paused: set[BufferedConn] = set()
        self.buffered_bytes = 0
        self.max_buffered_bytes = BUFFERED_BODIES * self.max_body_bytes
        #: Closing sockets being drained: [deadline, bytes drained so far], in deadline order.
        self.lingering: dict[socket.socket, list[float]] = {}
        self.next_expiry_check = 0.0

    @cached_property
    def timeout_response(self) -> bytes:
        # Built on first use, not in init_process: it imports the app's modules, and until gunicorn installs
        # the worker's signal handlers (after init_process's own start) a SIGTERM would be lost.
        return _request_timeout_response(self.client_timeout)

    @cached_property
    def refusals(self) -> dict[Readiness, tuple[str, bytes]]:
        """The answers to a body the worker refuses itself (framing module doc), with their metric reason."""
        return {
            Readiness.TOO_LARGE: ("too_large", _too_large_response(self.max_body_bytes)),
            Readiness.MALFORMED: ("unparsable", _malformed_chunks_response()),
            Readiness.HEAD_TOO_LARGE: ("unparsable", _head_too_large_response()),
        }

    # -- connections in -----------------------------------------------------------------------------------
    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        sock = _TimedSocket(client.family, client.type, client.proto, fileno=client.detach())
        sock.io_timeout = self.client_timeout
        conn = BufferedConn(self.cfg, sock, address, listener.getsockname())
        conn.linger = self._linger
        self._start_receiving(conn, time.monotonic())

    def enqueue_req(self, conn: BufferedConn) -> None:
        """gthread's "this connection has a request" (a kept-alive socket became readable, or a request
        left bytes of the next one in the parser): read on until the request is whole, then to a thread."""
        if conn.parser is not None:
            conn.received += conn.parser.unreader.take_buffered()
        if conn.sock.gettimeout() != 0.0:  # straight from a thread (pipelined bytes): still blocking
            conn.sock.setblocking(False)
        self._start_receiving(conn, time.monotonic(), readable=True)

    def _start_receiving(self, conn: BufferedConn, now: float, readable: bool = False) -> None:
        conn.deadline = now + self.client_timeout
        conn.continue_sent = False
        conn.progress = ChunkProgress()  # a new request: conn.received starts with it
        self.receiving[conn] = None
        self.buffered_bytes += len(conn.received)
        if conn.received:
            # Pipelined requests left in the parser: judge them before reading more. Reading first took in
            # up to RECV_BYTES more per request served, so a client pipelining tiny requests filled the buffer
            # (and the worker) with hundreds of MB no budget counted.
            self._judge(conn)
            if conn not in self.receiving:
                return
        if readable:
            # Usually the whole request is here already: then it goes to a thread at once, without a round
            # trip through the poller (two epoll_ctl calls and a loop iteration saved per kept-alive request).
            self._on_readable(conn)
            if conn not in self.receiving or conn in self.paused:
                return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        conn.registered = True

    def _on_readable(self, conn: BufferedConn, _sock: Any = None) -> None:
        if self.buffered_bytes >= self.max_buffered_bytes and len(conn.received) >= RECV_BYTES:
            self._unregister(conn)  # level-triggered: left registered, it would wake us again
            self.paused.add(conn)
            return
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            data = None
        except OSError:
            self._close(conn)
            return
        if data == b"":  # the client closed before its request was whole: nothing to answer
            self._close(conn)
            return
        if data:
            conn.received += data
            self.buffered_bytes += len(data)
        if conn.received:
            self._judge(conn)

    def _judge(self, conn: BufferedConn) -> None:
        readiness = request_readiness(conn.received, self.max_body_bytes, conn.progress)
        if readiness is Readiness.HAND_OVER:
            self._stop_receiving(conn)
            conn.data_ready = True  # gthread's handle() then skips its own wait for data
            super().enqueue_req(conn)
        elif readiness in self.refusals:
            self._refuse(conn, readiness)
        elif readiness is Readiness.WAIT_CONTINUE and not conn.continue_sent:
            conn.continue_sent = True
            try:
                conn.sock.send(CONTINUE)  # 25 bytes into an idle socket's empty send buffer
            except OSError:
                self._close(conn)

    def _refuse(self, conn: BufferedConn, readiness: Readiness) -> None:
        """Answer a request the worker refuses itself (an oversized head or body, broken chunked framing), and
        close: handed to a thread, the rest of it would be read there with blocking calls for as long as the
        client kept sending."""
        reason, response = self.refusals[readiness]
        _count_client_error(reason)
        self.log.info("%s: %s request refused (%s), connection closed", _peer(conn.client), readiness.value, reason)
        self._answer_and_close(conn, response)

    def _answer_and_close(self, conn: BufferedConn, response: bytes) -> None:
        """Send one of the worker's own answers (a few hundred bytes, into a socket nothing was sent on yet),
        then close the lingering way: a plain close could reset the connection over request bytes still
        unread and cut the answer off."""
        with contextlib.suppress(OSError):
            conn.sock.send(response)
        self._close(conn, graceful=True)

    def _unregister(self, conn: BufferedConn) -> None:
        if conn.registered:
            self.poller.unregister(conn.sock)
            conn.registered = False

    def _stop_receiving(self, conn: BufferedConn) -> None:
        del self.receiving[conn]
        self.paused.discard(conn)
        self._unregister(conn)
        self.buffered_bytes -= len(conn.received)
        if self.paused and self.buffered_bytes < self.max_buffered_bytes:
            for paused in self.paused:  # all of them: any that finds the budget spent again pauses again
                self.poller.register(paused.sock, selectors.EVENT_READ, partial(self._on_readable, paused))
                paused.registered = True
            self.paused.clear()

    def _close(self, conn: BufferedConn, graceful: bool = False) -> None:
        self._stop_receiving(conn)
        self.nr_conns -= 1
        conn.close(graceful)

    # -- in a pool thread -----------------------------------------------------------------------------------
    def handle(self, conn: BufferedConn) -> Any:
        if conn.received:
            conn.init()  # creates the parser (plain HTTP/1.1: reads nothing)
            conn.parser.unreader.unread(bytes(conn.received))
            conn.received = bytearray()
        return super().handle(conn)

    def handle_request(self, req: Any, conn: BufferedConn) -> Any:
        if conn.continue_sent:
            req._expected_100_continue = False  # already sent by the poller: the client gets exactly one
        try:
            return super().handle_request(req, conn)
        except TimeoutError:  # gthread would log this as an error with a traceback: it is the client's doing
            _count_client_error("response_timeout")
            self.log.warning(
                "%s did not read its answer within %g s (FOOTPRINT_CLIENT_TIMEOUT): connection closed",
                _peer(conn.client),
                self.client_timeout,
            )
            return False

    # -- deadlines ---------------------------------------------------------------------------------------------
    def murder_pending(self) -> None:
        """gthread's per-loop clean-up of waiting connections, plus requests and lingering closes past their
        deadline (looked for every ``EXPIRY_INTERVAL_S``: the loop runs once per poller wake-up)."""
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_expiry_check or not (self.receiving or self.lingering):
            return
        self.next_expiry_check = now + EXPIRY_INTERVAL_S
        if not self.alive:  # stopping: connections that have not started a request will not get to
            for conn in [conn for conn in self.receiving if not conn.received]:
                self._close(conn)
        # Both dicts are in insertion order, which is deadline order (one timeout for all): stop at the first
        # deadline still ahead.
        for conn in list(self.receiving):
            if conn.deadline > now:
                break
            if conn.received:
                _count_client_error("request_timeout")
                self.log.info(
                    "%s sent %d bytes of a request in %g s (FOOTPRINT_CLIENT_TIMEOUT): 408, connection closed",
                    _peer(conn.client),
                    len(conn.received),
                    self.client_timeout,
                )
                self._answer_and_close(conn, self.timeout_response)
            else:
                self._close(conn)
        for sock, (deadline, _) in list(self.lingering.items()):
            if deadline > now:
                break
            self._end_linger(sock)

    # -- closing --------------------------------------------------------------------------------------------
    def _linger(self, sock: socket.socket) -> None:
        """RFC 9112 9.6 close: send FIN, then discard what the client still sends until it closes, up to
        ``LINGER_SECONDS`` and ``LINGER_MAX_BYTES``, as a poller callback instead of a blocking read."""
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        sock.setblocking(False)
        self.lingering[sock] = [time.monotonic() + LINGER_SECONDS, 0]
        self.poller.register(sock, selectors.EVENT_READ, self._drain)

    def _drain(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        state = self.lingering[sock]
        state[1] += len(data)
        if not data or state[1] >= LINGER_MAX_BYTES:
            self._end_linger(sock)

    def _end_linger(self, sock: socket.socket) -> None:
        del self.lingering[sock]
        self.poller.unregister(sock)
        sock.close()


def _count_client_error(reason: str) -> None:
    """``genai_footprint_client_errors_total{reason}``; never lets a metrics failure disturb the server."""
    try:
        from ..observability.metrics import record_client_error  # the app's module, loaded in the worker by now

        record_client_error(reason)
    except Exception:  # counting is best effort, like the app's own request metrics
        logging.getLogger("service.serving").exception("counting a client error failed")


def _peer(address: Any) -> str:
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address or "a client")


def _request_timeout_response(client_timeout: float) -> bytes:
    """The 408 a client gets when its request does not arrive in time (the connection then closes)."""
    return problem_http_response(
        408,
        "Request Timeout",
        f"The request did not arrive in full within {client_timeout:g} s (FOOTPRINT_CLIENT_TIMEOUT).",
    )


def _too_large_response(max_body_bytes: int) -> bytes:
    """The 413 the application gives (service.api.problems), for a body the worker refuses before any thread."""
    return problem_http_response(
        413, "Request Entity Too Large", f"The request body is larger than the limit of {max_body_bytes} bytes."
    )


def _head_too_large_response() -> bytes:
    return problem_http_response(
        431,
        "Request Header Fields Too Large",
        f"The request head (or trailer section) is larger than {MAX_HEAD_BYTES} bytes.",
    )


def _malformed_chunks_response() -> bytes:
    return problem_http_response(
        400,
        "Bad Request",
        "The chunked request body is malformed (RFC 9112 section 7.1): each chunk is a hexadecimal size, CRLF, "
        "that many bytes and CRLF; the last has size 0.",
    )


def write_protocol_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error``'s replacement: the same answer to an unparsable request, as problem+json.

    The reason phrase is the standard one for the status (gunicorn says "501 Bad Request" for a transfer
    coding it does not support).
    """
    with contextlib.suppress(ValueError):
        reason = HTTPStatus(status_int).phrase
    if status_int == 500:  # an unexpected error, or gunicorn's own configuration: nothing for the client
        body = problem_http_response(status_int, reason, "The service failed to answer this request.", "internal-error")
    else:
        _count_client_error("unparsable")
        body = problem_http_response(status_int, reason, mesg or reason)
    gunicorn_util.write_nonblock(sock, body)


def problem_http_response(status: int, reason: str, detail: str, slug: str | None = None) -> bytes:
    """A whole closing HTTP/1.1 answer with a problem+json body, for answers the worker writes itself.

    They are written outside the application, so they carry the application's security headers themselves.
    Imported here, in the worker process: the gunicorn master loads this module without the app.
    """
    import orjson

    from ..api.problems import PROBLEM_MIMETYPE, problem_body, slug_of
    from ..api.security import SECURITY_HEADERS

    body = orjson.dumps(problem_body(status, slug or slug_of(reason), reason, detail))
    headers = {
        "Content-Type": PROBLEM_MIMETYPE,
        "Content-Length": str(len(body)),
        "Connection": "close",
        "Cache-Control": "no-store",
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + b"\r\n" + body
