"""service/serving/framing.py: when a request has fully arrived (RFC 9112), judged on raw bytes.

``WAIT`` must only ever be said of a request that is well formed so far and really short of its end: every
other case is ``HAND_OVER``, for gunicorn's parser to answer as it always would.
"""

from __future__ import annotations

import pytest

from service.serving.framing import MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES, ChunkProgress, Readiness, request_readiness

WAIT, WAIT_CONTINUE, HAND_OVER = Readiness.WAIT, Readiness.WAIT_CONTINUE, Readiness.HAND_OVER
TOO_LARGE, MALFORMED, HEAD_TOO_LARGE = Readiness.TOO_LARGE, Readiness.MALFORMED, Readiness.HEAD_TOO_LARGE
LIMIT = 1000
POST = b"POST /v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
#: A POST head whose body is chunked; the rows add the chunks.
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"


def chunked(*chunks: bytes, trailers: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return body + b"0\r\n" + trailers + b"\r\n"


CASES = [
    # -- heads ---------------------------------------------------------------------------------------------
    ("empty", b"", WAIT),
    ("request-line-only", b"GET /healthz HTTP/1.1\r\n", WAIT),
    ("head-missing-last-crlf", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", WAIT),
    ("get-complete", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", HAND_OVER),
    ("leading-empty-lines", b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", HAND_OVER),
    ("leading-empty-line-then-partial", b"\r\nGET /healthz HTTP/1.1\r\n", WAIT),
    ("http-1.0-get", b"GET / HTTP/1.0\r\n\r\n", HAND_OVER),
    ("bare-lf-head", b"GET / HTTP/1.1\nHost: x\n\n", HAND_OVER),
    ("folded-header", b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", HAND_OVER),
    ("header-without-colon", b"POST / HTTP/1.1\r\nContent-Length 5\r\n\r\n", HAND_OVER),
    ("space-before-colon", b"POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", HAND_OVER),
    ("head-over-limit", b"GET / HTTP/1.1\r\nX: " + b"a" * MAX_HEAD_BYTES, HEAD_TOO_LARGE),
    ("head-at-limit", b"GET / HTTP/1.1\r\nX: " + b"a" * (MAX_HEAD_BYTES - 19), WAIT),
    # -- Content-Length --------------------------------------------------------------------------------------
    ("no-body-post", POST + b"\r\n", HAND_OVER),
    ("content-length-zero", POST + b"Content-Length: 0\r\n\r\n", HAND_OVER),
    ("body-missing", POST + b"Content-Length: 5\r\n\r\n", WAIT),
    ("body-partial", POST + b'Content-Length: 5\r\n\r\n{"a"', WAIT),
    ("body-complete", POST + b'Content-Length: 5\r\n\r\n{"a":', HAND_OVER),
    ("body-and-next-request", POST + b"Content-Length: 2\r\n\r\n{}GET / HTTP/1.1\r\n", HAND_OVER),
    ("header-name-any-case", POST + b"cOnTeNt-LeNgTh: 5\r\n\r\n{", WAIT),
    ("repeated-identical-lengths", POST + b"Content-Length: 5, 5\r\n\r\n{", WAIT),
    ("conflicting-lengths", POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n{", HAND_OVER),
    ("negative-length", POST + b"Content-Length: -5\r\n\r\n", HAND_OVER),
    ("non-numeric-length", POST + b"Content-Length: five\r\n\r\n", HAND_OVER),
    ("huge-length-digits", POST + b"Content-Length: " + b"9" * 40 + b"\r\n\r\n", TOO_LARGE),
    ("length-of-19-digits", POST + b"Content-Length: 1000000000000000000\r\n\r\n{", TOO_LARGE),
    ("length-with-leading-zeros", POST + b"Content-Length: 0000000000000000000005\r\n\r\n{", WAIT),
    ("length-with-leading-zeros-complete", POST + b'Content-Length: 0000000000000000000005\r\n\r\n{"a":', HAND_OVER),
    ("equal-lengths-written-differently", POST + b"Content-Length: 5, 05\r\n\r\n{", WAIT),
    ("length-over-limit", POST + b"Content-Length: 1001\r\n\r\n", TOO_LARGE),
    ("length-at-limit", POST + b"Content-Length: 1000\r\n\r\n", WAIT),
    # -- Transfer-Encoding: chunked -------------------------------------------------------------------------------
    ("chunked-complete", CHUNKED + chunked(b'{"a":', b"1}"), HAND_OVER),
    ("chunked-no-chunks-yet", CHUNKED, WAIT),
    ("chunked-partial-size-line", CHUNKED + b"1", WAIT),
    ("chunked-partial-data", CHUNKED + b'5\r\n{"', WAIT),
    ("chunked-missing-last-chunk", CHUNKED + b"2\r\n{}\r\n", WAIT),
    ("chunked-last-chunk-no-end", CHUNKED + b"2\r\n{}\r\n0\r\n", WAIT),
    ("chunked-with-extension", CHUNKED + b"2;name=v\r\n{}\r\n0\r\n\r\n", HAND_OVER),
    ("chunked-uppercase-hex", CHUNKED + b"A\r\n0123456789\r\n0\r\n\r\n", HAND_OVER),
    ("chunked-trailers-complete", CHUNKED + chunked(b"{}", trailers=b"X-T: 1\r\n"), HAND_OVER),
    ("chunked-trailers-partial", CHUNKED + b"2\r\n{}\r\n0\r\nX-T: 1\r\n", WAIT),
    ("chunked-trailers-over-limit", CHUNKED + b"0\r\nX: " + b"a" * MAX_HEAD_BYTES, HEAD_TOO_LARGE),
    ("chunked-trailers-bare-lf", CHUNKED + b"2\r\n{}\r\n0\r\nX-T: 1\n\n", HAND_OVER),
    ("chunked-bad-size", CHUNKED + b"zz\r\n", MALFORMED),
    ("chunked-empty-size", CHUNKED + b"\r\n", MALFORMED),
    ("chunked-data-not-crlf-terminated", CHUNKED + b"2\r\n{}xx", MALFORMED),
    ("chunked-over-limit", CHUNKED + b"3e9\r\n", TOO_LARGE),
    ("chunked-size-line-over-limit", CHUNKED + b"1;" + b"x" * MAX_CHUNK_LINE_BYTES, MALFORMED),
    ("chunked-over-limit-over-chunks", CHUNKED + b"1f4\r\n" + b"x" * 500 + b"\r\n1f5\r\n", TOO_LARGE),
    ("chunked-size-past-2-64", CHUNKED + b"10000000000000000\r\n", TOO_LARGE),
    ("chunked-size-leading-zeros", CHUNKED + b"0" * 20 + b"2\r\n{}\r\n0\r\n\r\n", HAND_OVER),
    ("chunked-size-signed", CHUNKED + b"-2\r\n", MALFORMED),
    ("chunked-size-0x", CHUNKED + b"0x2\r\n", MALFORMED),
    ("chunked-size-leading-space", CHUNKED + b" 2\r\n", MALFORMED),
    ("chunked-size-trailing-space", CHUNKED + b"2 \r\n", MALFORMED),
    ("chunked-space-before-extension", CHUNKED + b"2 ;a=b\r\n{}\r\n0\r\n\r\n", HAND_OVER),
    ("chunked-size-line-bare-lf", CHUNKED + b"2\n{}\n0\n\n", MALFORMED),
    ("chunked-second-size-line-bare-lf", CHUNKED + b"2\r\n{}\r\n0\n", MALFORMED),
    ("chunked-and-length", POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", HAND_OVER),
    ("gzip-then-chunked", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n", WAIT),
    ("chunked-not-last", POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n", HAND_OVER),
    ("unknown-coding", POST + b"Transfer-Encoding: identity\r\n\r\n", HAND_OVER),
    # -- Expect: 100-continue -------------------------------------------------------------------------------
    ("expect-continue-body-pending", POST + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n", WAIT_CONTINUE),
    ("expect-continue-any-case", POST + b"expect: 100-Continue\r\nContent-Length: 5\r\n\r\n", WAIT_CONTINUE),
    ("expect-continue-body-sent", POST + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}", HAND_OVER),
    ("expect-continue-chunked", POST + b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n", WAIT_CONTINUE),
    ("expect-continue-http-1.0", b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", WAIT),
    ("expect-continue-over-limit", POST + b"Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n", TOO_LARGE),
    ("expect-other", POST + b"Expect: something\r\nContent-Length: 5\r\n\r\n", WAIT),
]


@pytest.mark.parametrize(("data", "expected"), [pytest.param(d, e, id=name) for name, d, e in CASES])
def test_readiness(data, expected):
    assert request_readiness(data, LIMIT) is expected
    assert request_readiness(bytearray(data), LIMIT) is expected  # the worker's buffer is a bytearray


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(POST + b'Content-Length: 11\r\n\r\n{"kind":42}', id="content-length"),
        pytest.param(CHUNKED + chunked(b'{"kind"', b":42}"), id="chunked"),
        pytest.param(CHUNKED + chunked(b"{}", trailers=b"A: 1\r\nB: 2\r\n"), id="trailers"),
        pytest.param(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", id="get"),
    ],
)
def test_every_proper_prefix_waits_and_the_whole_request_is_handed_over(request_bytes):
    """Byte by byte, as the slowest client sends it: never handed over early, never left waiting at the end."""
    for end in range(len(request_bytes)):
        assert request_readiness(request_bytes[:end], LIMIT) in (WAIT, WAIT_CONTINUE), request_bytes[:end]
    assert request_readiness(request_bytes, LIMIT) is HAND_OVER


INCREMENTAL = {
    "many-small-chunks": CHUNKED + chunked(*[b"x"] * 60),
    "chunks-with-extensions-and-trailers": CHUNKED + b"" + b"3;a=b\r\nabc\r\n2 ;c\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
    "grows-over-the-limit": CHUNKED + chunked(*[b"y" * 100] * 11),
    "breaks-after-good-chunks": CHUNKED + b"1\r\na\r\n1\r\nb\r\nzz\r\n",
    "with-a-next-request": CHUNKED + chunked(b"{}", b"[]") + b"GET / HTTP/1.1\r\n",
}


@pytest.mark.parametrize("request_bytes", INCREMENTAL.values(), ids=INCREMENTAL.keys())
def test_judging_as_bytes_arrive_with_progress_agrees_with_judging_afresh(request_bytes):
    # The worker keeps a ChunkProgress per request so that each read costs only the chunks it brought (a body
    # of one-byte chunks made every read re-walk the whole body); the verdicts must not change.
    progress = ChunkProgress()
    for end in range(1, len(request_bytes) + 1):
        prefix = request_bytes[:end]
        assert request_readiness(prefix, LIMIT, progress) is request_readiness(prefix, LIMIT), end


def test_progress_stops_after_the_last_complete_chunk():
    head = CHUNKED + b""
    progress = ChunkProgress()
    data = head + b"3\r\nabc\r\n2\r\nde\r\n4\r\nfg"  # two whole chunks, the third half there
    assert request_readiness(data, LIMIT, progress) is WAIT
    assert (progress.position, progress.body_bytes) == (len(head) + len(b"3\r\nabc\r\n2\r\nde\r\n"), 5)
