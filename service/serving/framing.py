"""Has a whole HTTP/1.1 request arrived? Message framing (RFC 9112 sections 2.2, 6 and 7.1) over raw bytes.

The worker (``service.serving.worker``) reads requests without blocking and hands one to a thread only once
this module says it is complete, so a slow client never holds a thread. The judgement is deliberately
one-sided: anything unusual in the head (bare-LF line endings, folded or malformed header lines, conflicting
lengths, a transfer coding other than chunked, a head over the limit) is ``HAND_OVER`` at once, and gunicorn's
own parser then decides, exactly as it would have without this module. Only a request that is well formed
so far and still short of its end is ``WAIT``: a mistake here can delay a request, never change its meaning.

Some requests are answered by the worker itself instead, because gunicorn would read the rest of them in
a thread, with blocking reads: a head (or trailer section) with no end within ``MAX_HEAD_BYTES`` is
``HEAD_TOO_LARGE`` (431); a body declared (or grown) larger than the limit is ``TOO_LARGE`` (413); broken
chunked framing (RFC 9112 7.1: a chunk-size line that is not hex or not
CRLF-ended, chunk data not followed by CRLF) is ``MALFORMED`` (400). Handed over, a client that declared a
2 MiB chunk and then sent a byte every few seconds held a thread for as long as it kept sending, and sixteen
such clients took the whole service down.
"""

from __future__ import annotations

import enum

#: Longest request head (request line and header fields), or trailer section, accepted, in bytes. gunicorn's
#: own limits are 4,094 bytes for the request line and 100 fields of at most 8,190 bytes; a head larger than
#: this is answered 431 by the worker. Handed to the parser unfinished, a thread would read the rest with
#: blocking calls, and clients trickling a byte every few seconds into 64 KiB heads took the service down.
MAX_HEAD_BYTES = 65_536
#: Longest chunk-size line waited for (hex size plus chunk extensions).
MAX_CHUNK_LINE_BYTES = 1_024

_CRLF = b"\r\n"
_HEAD_END = b"\r\n\r\n"


class Readiness(enum.Enum):
    WAIT = "wait"  #: well formed so far, more bytes are needed
    WAIT_CONTINUE = "wait-continue"  #: head complete; the client waits for "100 Continue" before its body
    HAND_OVER = "hand-over"  #: complete, or for the HTTP parser to judge now (a malformed head)
    TOO_LARGE = "too-large"  #: the body is declared or has grown over the limit: answer 413, do not read it
    HEAD_TOO_LARGE = "head-too-large"  #: no end of the head (or trailers) within MAX_HEAD_BYTES: answer 431
    MALFORMED = "malformed"  #: the chunked framing is broken: answer 400, no parser can make a request of it


class ChunkProgress:
    """Where the judgement of a chunked body got to: the offset just past its last complete chunk, and the body
    bytes before it. The worker keeps one per request being received, so that each read costs the chunks it
    brought instead of a pass over the whole body (one-byte chunks made that quadratic)."""

    __slots__ = ("position", "body_bytes")

    def __init__(self) -> None:
        self.position = 0
        self.body_bytes = 0


def request_readiness(data: bytes | bytearray, max_body_bytes: int, progress: ChunkProgress | None = None) -> Readiness:
    """Whether the first request in ``data`` (bytes received on a connection so far) has fully arrived.

    ``max_body_bytes``: a body declared or grown larger than this is handed over at once, so the
    application can refuse it (413) without waiting for it. ``progress``: kept between calls on the same
    request (``data`` only ever grows), it lets a chunked body be judged from where the last call stopped.
    """
    start = 0
    while data.startswith(_CRLF, start):  # RFC 9112 2.2: empty lines before a request line are ignored
        start += 2
    head_end = data.find(_HEAD_END, start, start + MAX_HEAD_BYTES + 4)
    bare_lf = data.find(b"\n\n", start, head_end if head_end != -1 else start + MAX_HEAD_BYTES + 4)
    if bare_lf != -1 and (head_end == -1 or bare_lf < head_end):
        return Readiness.HAND_OVER  # not CRLF-framed: the parser decides what that is
    if head_end == -1:
        return Readiness.WAIT if len(data) - start <= MAX_HEAD_BYTES else Readiness.HEAD_TOO_LARGE
    lines = bytes(data[start:head_end]).split(_CRLF)
    fields = _header_fields(lines[1:])
    if fields is None:
        return Readiness.HAND_OVER
    body_start = head_end + 4
    lengths = fields.get(b"content-length")
    codings = fields.get(b"transfer-encoding")
    if codings is not None:
        if lengths is not None or _last_coding(codings) != b"chunked":
            return Readiness.HAND_OVER  # refused (or not supported) by the parser: no need to wait
        complete = _chunked_body_readiness(data, body_start, max_body_bytes, progress)
    elif lengths is not None:
        length = _content_length(lengths)
        if length is None:
            return Readiness.HAND_OVER  # malformed or conflicting: the parser refuses it
        if length > max_body_bytes:
            return Readiness.TOO_LARGE
        complete = Readiness.HAND_OVER if len(data) - body_start >= length else Readiness.WAIT
    else:
        return Readiness.HAND_OVER  # no body (RFC 9112 6.3: a request without either has none)
    if complete is Readiness.WAIT and _expects_continue(lines[0], fields):
        return Readiness.WAIT_CONTINUE
    return complete


def _header_fields(lines: list[bytes]) -> dict[bytes, list[bytes]] | None:
    """Field values by lower-cased name; None for a line the parser must judge (folded, no colon, bad name)."""
    fields: dict[bytes, list[bytes]] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            return None
        fields.setdefault(name.lower(), []).append(value.strip())
    return fields


#: Stands for a declared length of more than 18 significant digits: over any body limit.
_HUGE_LENGTH = 10**18


def _content_length(values: list[bytes]) -> int | None:
    """The one declared length; None when malformed or conflicting (the parser refuses those).

    Digits of any length count, as gunicorn's parser reads them: ``0000000000000000001000`` is 1,000, and 19
    or more significant digits are over any limit. Handing such a request over as malformed let gunicorn
    accept it and read (or, after an early answer, drain) its body in a thread, for as long as the client
    trickled bytes.
    """
    declared = set()
    for value in values:
        for item in value.split(b","):
            text = item.strip()
            if not text.isdigit():
                return None
            significant = text.lstrip(b"0")
            declared.add(int(significant or b"0") if len(significant) <= 18 else _HUGE_LENGTH)
    if len(declared) != 1:
        return None
    return declared.pop()


def _last_coding(values: list[bytes]) -> bytes:
    codings = [item.strip().lower() for value in values for item in value.split(b",")]
    return codings[-1] if codings else b""


def _expects_continue(request_line: bytes, fields: dict[bytes, list[bytes]]) -> bool:
    """RFC 9110 10.1.1: "100-continue" asks for an interim answer; HTTP/1.0 requests must not get one."""
    expect = fields.get(b"expect", [])
    return request_line.endswith(b" HTTP/1.1") and [value.lower() for value in expect] == [b"100-continue"]


def _chunked_body_readiness(
    data: bytes | bytearray, position: int, max_body_bytes: int, progress: ChunkProgress | None = None
) -> Readiness:
    """RFC 9112 7.1: chunks of ``size CRLF data CRLF``, then ``0 CRLF``, trailer fields and an empty line."""
    body_bytes = 0
    if progress is not None and progress.position > position:  # chunks up to there were complete and valid
        position, body_bytes = progress.position, progress.body_bytes
    while True:
        line_end = data.find(_CRLF, position)
        if data.find(b"\n", position, line_end if line_end != -1 else len(data)) != -1:
            return Readiness.MALFORMED  # a chunk-size line ended by a bare LF
        if line_end == -1:
            return Readiness.WAIT if len(data) - position <= MAX_CHUNK_LINE_BYTES else Readiness.MALFORMED
        size_text, extension, _ = bytes(data[position:line_end]).partition(b";")
        if extension:
            size_text = size_text.rstrip(b" \t")  # RFC 9112 7.1.1: whitespace before a chunk extension only
        if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
            return Readiness.MALFORMED  # RFC 9112 7.1: chunk-size = 1*HEXDIG (no sign, space, "0x" or "_")
        if len(size_text.lstrip(b"0")) > 16:
            return Readiness.TOO_LARGE  # 2**64 bytes or more
        size = int(size_text, 16)
        position = line_end + 2
        if size == 0:
            if data.startswith(_CRLF, position) or data.find(_HEAD_END, position - 2) != -1:
                return Readiness.HAND_OVER  # no trailers, or trailers and their empty line
            if data.find(b"\n\n", position) != -1:
                return Readiness.HAND_OVER  # trailers not CRLF-framed: the parser decides
            return Readiness.WAIT if len(data) - position <= MAX_HEAD_BYTES else Readiness.HEAD_TOO_LARGE
        body_bytes += size
        if body_bytes > max_body_bytes:
            return Readiness.TOO_LARGE
        if len(data) < position + size + 2:
            return Readiness.WAIT
        if data[position + size : position + size + 2] != _CRLF:
            return Readiness.MALFORMED  # chunk data longer than its size, or not followed by CRLF
        position += size + 2
        if progress is not None:
            progress.position, progress.body_bytes = position, body_bytes
