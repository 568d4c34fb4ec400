"""RETR and TOP bodies in POP3 wire form, streamed chunk by chunk, and their sizes.

The wire form (RFC 1939 3) of a stored message is:

1. line ends normalised: CRLF stays, a lone LF becomes CRLF, a lone CR is kept as
   a data octet (it ends no line);
2. a CRLF appended if the message is not empty and does not end with LF, so the
   termination line stands on its own;
3. every line that starts with "." gets one more "." (dot-stuffing);
4. followed by `.<CRLF>`.

The size rule (LIST, STAT, the RETR status line): the number of octets after
steps 1 and 2, before dot-stuffing and without the termination line. So a client
that un-stuffs the RETR body and drops the `.` line holds exactly `wire_size`
octets (RFC 1939 5: "the exact size of the message ... as transmitted with CRLF").
`WireSize` computes it incrementally (e.g. once, at delivery).

TOP n m (RFC 1939 7) sends the header section, the blank line after it, and the
first m body lines, counting CRLF-ended lines after step 1. A message without a
blank line is all header and sent whole.

Memory: encoders keep at most one pending CR and a few flags between chunks; each
call returns output about the size of its input, so a 50 MiB message is never
held twice. `TopEncoder.done` tells the caller to stop reading the blob.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

TERMINATOR = b".\r\n"


class _LineEnds:
    """Step 1: CRLF and lone LF become CRLF; lone CR stays. Holds one pending CR."""

    def __init__(self) -> None:
        self._pending_cr = False

    def convert(self, chunk: bytes) -> bytes:
        data = b"\r" + chunk if self._pending_cr else chunk
        self._pending_cr = data.endswith(b"\r")
        if self._pending_cr:
            data = data[:-1]
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def flush(self) -> bytes:
        pending, self._pending_cr = self._pending_cr, False
        return b"\r" if pending else b""


class WireSize:
    """Counts the POP3 size of a message fed in chunks (see the module rule)."""

    def __init__(self) -> None:
        self._ends = _LineEnds()
        self._octets = 0
        self._ends_with_lf = True  # an empty message needs no final CRLF

    def update(self, chunk: bytes) -> None:
        self._count(self._ends.convert(chunk))

    def _count(self, data: bytes) -> None:
        if data:
            self._octets += len(data)
            self._ends_with_lf = data.endswith(b"\n")

    @property
    def total(self) -> int:
        """The size so far, as if the message ended here."""
        pending = 1 if self._ends._pending_cr else 0
        ends_with_lf = self._ends_with_lf and not pending
        return self._octets + pending + (0 if ends_with_lf else 2)


def wire_size(chunks: Iterable[bytes] | bytes) -> int:
    """The POP3 size of a message given whole or as chunks."""
    counter = WireSize()
    for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
        counter.update(chunk)
    return counter.total


class MessageEncoder:
    """RETR body: `encode(chunk)` for each stored chunk, then `finish()` once."""

    def __init__(self) -> None:
        self._ends = _LineEnds()
        self._line_start = True
        self._last = b"\n"  # the last octet sent, before stuffing
        self.octets = 0  # octets sent so far, before stuffing (ends at wire_size)

    def encode(self, chunk: bytes) -> bytes:
        return self._stuff(self._select(self._ends.convert(chunk)))

    def finish(self) -> bytes:
        """The rest: a pending CR, a final CRLF if needed (step 2), then `.<CRLF>`."""
        tail = self._stuff(self._select(self._ends.flush()))
        if self._last != b"\n":
            tail += self._stuff(b"\r\n")
        return tail + TERMINATOR

    def _select(self, data: bytes) -> bytes:
        """Which of the normalised octets are sent (all of them for RETR)."""
        return data

    def _stuff(self, data: bytes) -> bytes:
        """Step 3, RFC 1939 3: double a leading dot on every line."""
        if not data:
            return data
        self.octets += len(data)
        self._last = data[-1:]
        stuffed = data.replace(b"\n.", b"\n..")
        if self._line_start and stuffed.startswith(b"."):
            stuffed = b"." + stuffed
        self._line_start = stuffed.endswith(b"\n")
        return stuffed


class TopEncoder(MessageEncoder):
    """TOP n m body: headers, the blank line, then the first `lines` body lines."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self._remaining = lines
        self._in_headers = True
        self._at_line_start = True
        self.done = False  # everything to send has been produced

    def _select(self, data: bytes) -> bytes:
        if self.done or not data:
            return b""
        if not self._in_headers:
            return self._body_lines(data)
        if self._at_line_start and data.startswith(b"\r\n"):
            split = 2
        else:
            found = data.find(b"\r\n\r\n")
            if found < 0:
                self._at_line_start = data.endswith(b"\n")
                return data
            split = found + 4
        self._in_headers = False
        return data[:split] + self._body_lines(data[split:])

    def _body_lines(self, data: bytes) -> bytes:
        if self._remaining == 0:
            self.done = True
            return b""
        if data.count(b"\n") < self._remaining:
            self._remaining -= data.count(b"\n")
            return data
        pos = 0
        while self._remaining:
            pos = data.index(b"\n", pos) + 1
            self._remaining -= 1
        self.done = True
        return data[:pos]


def encode_message(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The RETR body of a stored message, terminator included."""
    encoder = MessageEncoder()
    for chunk in chunks:
        encoded = encoder.encode(chunk)
        if encoded:
            yield encoded
    yield encoder.finish()


def encode_top(chunks: Iterable[bytes], lines: int) -> Iterator[bytes]:
    """The TOP body; stops pulling chunks once the requested lines are out."""
    encoder = TopEncoder(lines)
    for chunk in chunks:
        encoded = encoder.encode(chunk)
        if encoded:
            yield encoded
        if encoder.done:
            break
    yield encoder.finish()


def unstuff(wire: bytes) -> bytes:
    """Inverse of the encoders, for clients and tests: drop the `.` line and one
    leading dot of each line (RFC 1939 3). `wire` must be a whole body."""
    if wire == TERMINATOR:
        return b""
    if not wire.endswith(b"\r\n" + TERMINATOR):
        raise ValueError("not a complete multi-line body")
    body = wire[: -len(TERMINATOR)]
    body = body.replace(b"\r\n..", b"\r\n.")
    return body[1:] if body.startswith(b"..") else body
