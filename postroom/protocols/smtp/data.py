"""Sans-I/O readers for message content: DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030).

`DataReader` takes the raw bytes after `354` and yields `BodyChunk`s (dot-unstuffed,
RFC 5321 4.5.2, CRLFs kept) and one `EndOfData`. `ChunkReader` reads the exact
octet counts of BDAT chunks, without dot-stuffing, and yields `BodyChunk`s and one
`EndOfChunk` per BDAT command. Both hand pipelined bytes after the end back with
`take_unread()`.

Invariants:

- Only `<CRLF>.<CRLF>` ends DATA (smuggling defence). A line starts only after
  CRLF; a bare CR or bare LF is content, never a line end, so `<LF>.<LF>`,
  `<CR>.<CR>`, `<LF>.<CRLF>`, `<CRLF>.<LF>`, `<CRLF>.<CR><CRLF>` neither end the
  message nor start another one. The data start counts as a line start.
- Problems never stop the reading: a bare CR or LF, a text line over the limit
  (1,000 octets with CRLF, RFC 5321 4.5.3.1.6, counted after un-stuffing so that
  RFC 5322 2.1.1's 998 + CRLF always passes) or a total over the
  size limit (RFC 1870) set a `Rejection`; from then on no more chunks are passed
  on, the reader consumes to the real end, and the end event carries the first
  rejection. `replies.for_data_rejection` turns it into `550 5.6.0` (bare CR/LF,
  long line) or `552 5.3.4` (size). The session must not store a rejected message.
- The chunk in which a problem is found is withheld whole, so nothing after the
  problem reaches the session.
- Memory is bounded: between feeds the DataReader carries at most 2 bytes (`.`,
  `.<CR>` at a line start or a trailing `<CR>`); output per feed is at most the
  size of that feed. `size` counts unstuffed octets, the message as stored.
- BDAT chunks are counted, not scanned: BINARYMIME content may hold any octet.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # DESIGN 5
DEFAULT_TEXT_LINE_LIMIT = 1000  # RFC 5321 4.5.3.1.6, including CRLF

_DOT = 0x2E
_CR = 0x0D


class Rejection(StrEnum):
    BARE_LINE_ENDING = "bare-line-ending"
    LINE_TOO_LONG = "line-too-long"
    TOO_BIG = "too-big"


@dataclass(frozen=True, slots=True)
class BodyChunk:
    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfData:
    """The final `.` was read; `size` is the unstuffed message size in octets."""

    size: int
    rejection: Rejection | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class EndOfChunk:
    """A BDAT chunk was read in full; `total` counts octets of the whole transaction."""

    size: int
    total: int
    last: bool
    rejection: Rejection | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None


class DataReader:
    """Reads one DATA body. Feed bytes, then drain `next_event()` until None."""

    def __init__(
        self, *, max_size: int = DEFAULT_MAX_SIZE, line_limit: int = DEFAULT_TEXT_LINE_LIMIT
    ) -> None:
        self.max_size = max_size
        self.line_limit = line_limit
        self.size = 0
        self.rejection: Rejection | None = None
        self._line_start = True  # RFC 5321 4.1.1.4: data begins at a line start
        self._line_len = 0  # octets of the current line so far, un-stuffed
        self._carry = b""
        self._input: list[bytes] = []
        self._events: list[BodyChunk | EndOfData] = []
        self._unread = b""
        self._done = False

    @property
    def finished(self) -> bool:
        return self._done

    @property
    def carried(self) -> int:
        """Bytes held back between feeds, waiting for the next ones (at most 2)."""
        return len(self._carry)

    def feed(self, data: bytes) -> None:
        if self._done:
            self._unread += data
        elif data:
            self._input.append(data)

    def next_event(self) -> BodyChunk | EndOfData | None:
        if not self._events and self._input:
            data = self._carry + b"".join(self._input)
            self._input.clear()
            self._carry = b""
            self._scan(data)
        return self._events.pop(0) if self._events else None

    def take_unread(self) -> bytes:
        """Bytes after the final `.<CRLF>` (pipelined commands); call after EndOfData."""
        data, self._unread = self._unread, b""
        return data

    def _scan(self, data: bytes) -> None:
        pieces: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            if self._line_start and data[pos] == _DOT:
                after = data[pos + 1 : pos + 3]
                if after == b"\r\n":  # <CRLF>.<CRLF>: the only end of data
                    self._unread = data[pos + 3 :]
                    self._done = True
                    break
                if after in (b"", b"\r"):  # undecided until more bytes arrive
                    self._carry = data[pos:]
                    break
                pos += 1  # RFC 5321 4.5.2: drop the stuffed dot
            pos = self._scan_segment(data, pos, pieces)
        self._emit(pieces)

    def _scan_segment(self, data: bytes, pos: int, pieces: list[bytes]) -> int:
        """Pass on content up to the next line that starts with a dot; return its index."""
        found = data.find(b"\r\n.", pos)
        stop = found + 2 if found >= 0 else len(data)
        if found < 0 and data[-1] == _CR:  # the CR may start a CRLF: decide next time
            stop -= 1
            self._carry = b"\r"
        self._account(data, pos, stop)
        if self.rejection is None:
            pieces.append(data[pos:stop])
        self._line_start = stop >= 2 and data[stop - 2 : stop] == b"\r\n"
        return len(data) if found < 0 else stop

    def _account(self, data: bytes, start: int, stop: int) -> None:
        """Track size, bare line endings and line lengths of data[start:stop]."""
        self.size += stop - start
        if self.size > self.max_size:
            self._reject(Rejection.TOO_BIG)
        if self.rejection is not None:
            return
        crlf = data.count(b"\r\n", start, stop)
        if data.count(b"\r", start, stop) != crlf or data.count(b"\n", start, stop) != crlf:
            self._reject(Rejection.BARE_LINE_ENDING)  # RFC 5321 2.3.8
            return
        lines = data[start:stop].split(b"\r\n")
        first = self._line_len + len(lines[0])  # continues the line carried over
        if len(lines) == 1:
            self._line_len = longest = first
        else:
            self._line_len = len(lines[-1])
            longest = max(first, self._line_len, *map(len, lines[1:-1]))
        if longest + 2 > self.line_limit:  # RFC 5321 4.5.3.1.6
            self._reject(Rejection.LINE_TOO_LONG)

    def _reject(self, rejection: Rejection) -> None:
        if self.rejection is None:
            self.rejection = rejection

    def _emit(self, pieces: list[bytes]) -> None:
        if self.rejection is None and pieces:
            chunk = b"".join(pieces)
            if chunk:
                self._events.append(BodyChunk(chunk))
        if self._done:
            self._events.append(EndOfData(self.size, self.rejection))


class ChunkReader:
    """Reads the chunks of one BDAT transaction (RFC 3030 2).

    Call `begin(size, last)` for each BDAT command, then feed and drain events
    until `EndOfChunk`. The size limit covers the whole transaction: a chunk that
    would exceed it is consumed and dropped, and so are the later ones.
    """

    def __init__(self, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.max_size = max_size
        self.total = 0
        self.rejection: Rejection | None = None
        self._remaining = 0
        self._size = 0
        self._last = False
        self._active = False
        self._buffer = b""

    @property
    def active(self) -> bool:
        """A chunk has begun and not all of its octets have been read."""
        return self._active

    def begin(self, size: int, last: bool) -> None:
        if self._active:
            raise RuntimeError("a BDAT chunk is still being read")
        self._remaining = self._size = size
        self._last = last
        self._active = True
        if self.total + size > self.max_size and self.rejection is None:
            self.rejection = Rejection.TOO_BIG  # RFC 1870 / RFC 3030 2: still read it

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_event(self) -> BodyChunk | EndOfChunk | None:
        if not self._active:
            return None
        if self._remaining == 0:
            self._active = False
            return EndOfChunk(self._size, self.total, self._last, self.rejection)
        if not self._buffer:
            return None
        taken = self._buffer[: self._remaining]
        self._buffer = self._buffer[len(taken) :]
        self._remaining -= len(taken)
        self.total += len(taken)
        if self.rejection is not None:
            return self.next_event()
        return BodyChunk(taken)

    def take_unread(self) -> bytes:
        """Bytes after the chunk (the next pipelined command); call after EndOfChunk."""
        data, self._buffer = self._buffer, b""
        return data
