"""Sans-I/O IMAP command parser: bytes in, events out (RFC 3501 9, RFC 9051 9).

Usage by the session (which owns the socket)::

    parser = CommandParser(Limits(...))
    parser.feed(data)                          # whatever the socket gave
    while (event := parser.next_event()) is not None:
        ...                                    # see the event types below

Events:
- a command dataclass (``command_types``): a complete, valid command;
- ``BadCommand(tag, message, code)``: syntax error or exceeded limit; answer ``BAD``
  (``* BAD`` when ``tag`` is None). The parser has already resynchronised;
- ``BadCharset(tag, charset, supported)``: answer ``NO [BADCHARSET (...)]``;
- ``NeedContinuation(tag, name, size)``: a synchronising literal ``{n}`` was announced
  (RFC 9051 4.3). The parser is paused: call ``accept_literal()`` and send ``+ ...``, or
  ``reject_literal()`` and send a tagged NO/BAD (the client then sends no literal);
- ``AppendLiteral(tag, mailbox, message, synchronizing, index)``: an APPEND message
  literal was announced. Paused as above, for synchronising and non-synchronising
  literals alike, so the server can check quota, size and mailbox first (and open a
  temporary file). ``accept_literal()`` returns True when ``+`` must be sent. The data
  then arrives as ``LiteralChunk(tag, data, final)`` events (each at most
  ``Limits.chunk_size`` octets; exactly one per message has ``final``, possibly empty),
  then either another ``AppendLiteral`` (MULTIAPPEND, RFC 3502) or the closing ``Append``
  command, which means "commit". A ``BadCommand`` or ``TooBig`` with that tag instead
  means "discard what was streamed";
- ``TooBig(tag, size, limit)``: an APPEND message over ``max_append``; answer
  ``NO [TOOBIG]`` (RFC 7889 4). Nothing was buffered;
- ``IdleDone(tag, valid)`` after ``expect_done(tag)`` (RFC 2177 3);
- ``SaslResponse(tag, data)`` after ``expect_sasl_response(tag)`` (RFC 9051 6.2.2); "*"
  and bad BASE64 come as ``BadCommand`` with that tag.

Invariants:
- No I/O, no asyncio, no clock. Only stdlib, ``postroom.errors`` and siblings.
- Nothing is allocated for a literal before it is accepted; a literal over its limit is
  never buffered: a synchronising one is refused (the client sends nothing), a
  non-synchronising one (RFC 7888) is skipped octet by octet without being stored
  (``discarding`` tells how much is left, so the server may prefer to close).
- Memory held is at most ``max_line`` (command text) + ``max_literal`` (literals of
  non-APPEND commands) + what was fed since the last drain; APPEND data never
  accumulates. The caller must drain events after each ``feed``, and answer a pause
  before feeding more.
- Bad input never raises: every problem becomes an event, and parsing resumes at the
  start of the next command, so later pipelined commands are not lost. Only misuse of
  the API (``accept_literal`` without a pause) raises ``RuntimeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import ClassVar

from . import grammar
from .command_types import *  # noqa: F403 - re-exported: this is the parser's public face
from .command_types import Append, AppendMessage, Command
from .lexer import Literal, ParseError, Part, Reader
from .search_keys import SUPPORTED_CHARSETS

_TAIL = 32  # enough of a skipped line's end to recognise "~{4294967295+}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Parser limits (DESIGN 5). All sizes in octets."""

    max_line: int = 64 * 1024  # command text, all lines of one command, literals excluded
    max_literal: int = 64 * 1024  # sum of the literals of one command other than APPEND data
    max_append: int = 50 * 1024 * 1024  # one APPEND message (APPENDLIMIT, RFC 7889)
    max_messages: int = 1000  # messages in one MULTIAPPEND (RFC 3502)
    max_depth: int = 100  # nesting of parenthesised search keys, NOT and OR
    chunk_size: int = 64 * 1024  # largest LiteralChunk

    def __post_init__(self) -> None:
        for name in ("max_line", "max_literal", "max_append", "max_messages", "chunk_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if not 1 <= self.max_depth <= 300:
            raise ValueError("max_depth must be between 1 and 300")  # Python recursion


@dataclass(frozen=True, slots=True)
class NeedContinuation:
    tag: str
    name: str  # state-table name, e.g. "LOGIN", "FETCH"
    size: int


@dataclass(frozen=True, slots=True)
class BadCommand:
    tag: str | None
    message: str
    code: str | None = None  # a responses.Code value, e.g. "LIMIT"


@dataclass(frozen=True, slots=True)
class BadCharset:
    tag: str
    charset: str
    supported: tuple[str, ...] = SUPPORTED_CHARSETS


@dataclass(frozen=True, slots=True)
class TooBig:
    tag: str
    size: int
    limit: int


@dataclass(frozen=True, slots=True)
class AppendLiteral:
    tag: str
    mailbox: str
    message: AppendMessage  # flags, internal date, size, binary, utf8
    synchronizing: bool
    index: int  # 0 for the first message of a MULTIAPPEND


@dataclass(frozen=True, slots=True)
class LiteralChunk:
    tag: str
    data: bytes
    final: bool


@dataclass(frozen=True, slots=True)
class IdleDone:
    tag: str
    valid: bool  # False: the line was not DONE; answer BAD (RFC 2177 3)


@dataclass(frozen=True, slots=True)
class SaslResponse:
    tag: str
    data: bytes  # decoded BASE64


Event = (
    Command
    | NeedContinuation
    | BadCommand
    | BadCharset
    | TooBig
    | AppendLiteral
    | LiteralChunk
    | IdleDone
    | SaslResponse
)


class _Again(Enum):
    """Returned by a step that changed mode without producing an event."""

    AGAIN = auto()


_AGAIN = _Again.AGAIN
_Step = Event | _Again | None


class _Mode(Enum):
    LINE = auto()  # reading command text up to LF
    LITERAL = auto()  # collecting a (small) literal into the command
    STREAM = auto()  # handing out an APPEND message as chunks
    PAUSED = auto()  # waiting for accept_literal() / reject_literal()
    DISCARD = auto()  # skipping a refused non-synchronising literal
    SKIP_LINE = auto()  # skipping the rest of a refused command line
    IDLE = auto()  # the next line should be DONE
    SASL = auto()  # the next line is a SASL response


@dataclass(slots=True)
class _Pending:
    size: int
    synchronizing: bool
    append: bool


@dataclass(slots=True)
class _AppendState:
    tag: str
    mailbox: str
    messages: list[AppendMessage] = field(default_factory=list)
    current: AppendMessage | None = None
    close_paren: bool = False  # the last message was "UTF8 (~{n}" (RFC 6855 4)


@dataclass(frozen=True, slots=True)
class _Marker:
    start: int
    size: int
    synchronizing: bool
    binary: bool


def _marker(line: bytes) -> _Marker | None:
    """A literal announcement at the end of a line: {n}, {n+} or ~{n} (RFC 7888, 3516)."""
    if not line.endswith(b"}"):
        return None
    start = line.rfind(b"{")
    inner = line[start + 1 : -1]
    plus = inner.endswith(b"+")
    digits = inner[:-1] if plus else inner
    if start < 0 or not digits.isdigit():
        return None
    size = int(digits) if len(digits) <= 20 else 2**70
    binary = start > 0 and line[start - 1] == 0x7E
    return _Marker(start - binary, size, not plus, binary)


def _guess_tag(head: bytes) -> str | None:
    try:
        return Reader([head[:128]]).tag()
    except ParseError:
        return None


class CommandParser:
    """Incremental parser of client commands; see the module docstring for the protocol."""

    def __init__(self, limits: Limits | None = None, *, utf8_mailboxes: bool = False) -> None:
        self.limits = limits or Limits()
        # RFC 6855 3 / RFC 9051 5.1: set after ENABLE UTF8=ACCEPT or IMAP4rev2.
        self.utf8_mailboxes = utf8_mailboxes
        self._buf = bytearray()
        self._scan = 0
        self._mode = _Mode.LINE
        self._parts: list[Part] = []
        self._text_used = 0
        self._literals_used = 0
        self._need = 0
        self._literal = bytearray()
        self._literal_binary = False
        self._pending: _Pending | None = None
        self._append: _AppendState | None = None
        self._line_tag = ""
        self._tail = b""

    # -- public API ----------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Event | None:
        """The next event, or None if more input (or a decision on a pause) is needed."""
        while True:
            result = self._STEPS[self._mode](self)
            if not isinstance(result, _Again):
                return result

    def events(self) -> Iterator[Event]:
        while (event := self.next_event()) is not None:
            yield event

    @property
    def paused(self) -> bool:
        return self._mode is _Mode.PAUSED

    @property
    def discarding(self) -> int:
        """Octets of a refused non-synchronising literal still to be skipped."""
        return self._need if self._mode is _Mode.DISCARD else 0

    @property
    def buffered_bytes(self) -> int:
        parts = sum(len(p) if isinstance(p, bytes) else len(p.data) for p in self._parts)
        return len(self._buf) + parts + len(self._literal) + len(self._tail)

    def accept_literal(self) -> bool:
        """Go on after NeedContinuation/AppendLiteral; True if "+" must be sent now."""
        pending = self._take_pending()
        self._need = pending.size
        if pending.append:
            self._mode = _Mode.STREAM
        else:
            self._literal = bytearray()
            self._mode = _Mode.LITERAL
        return pending.synchronizing

    def reject_literal(self) -> None:
        """Refuse the announced literal; the server answers the tag with NO or BAD."""
        pending = self._take_pending()
        self._refuse(pending.size, pending.synchronizing)

    def expect_done(self, tag: str) -> None:
        """After "+ idling": the next line is IDLE's DONE (RFC 2177 3)."""
        self._expect_line(_Mode.IDLE, tag)

    def expect_sasl_response(self, tag: str) -> None:
        """After a "+ <challenge>": the next line is a SASL response (RFC 9051 6.2.2)."""
        self._expect_line(_Mode.SASL, tag)

    def discard_buffered(self) -> int:
        """Drop all buffered input and any partial command (after STARTTLS: RFC 9051
        6.2.1 / CVE-2011-0411, nothing sent in clear may be read as sent under TLS)."""
        dropped = len(self._buf)
        self._buf.clear()
        self._scan = 0
        self._reset_command()
        self._mode = _Mode.LINE
        return dropped

    # -- helpers -------------------------------------------------------------------

    def _take_pending(self) -> _Pending:
        if self._mode is not _Mode.PAUSED or self._pending is None:
            raise RuntimeError("no literal is waiting for a decision")
        pending, self._pending = self._pending, None
        return pending

    def _expect_line(self, mode: _Mode, tag: str) -> None:
        if self._mode is not _Mode.LINE or self._parts:
            raise RuntimeError("a command is still being parsed")
        self._mode, self._line_tag = mode, tag

    def _reset_command(self) -> None:
        self._parts = []
        self._text_used = 0
        self._literals_used = 0
        self._literal = bytearray()
        self._pending = None
        self._append = None

    def _context(self) -> grammar.Context:
        return grammar.Context(self.utf8_mailboxes, self.limits.max_depth)

    def _refuse(self, size: int, synchronizing: bool) -> None:
        """Abandon the current command at a literal announcement."""
        self._reset_command()
        if synchronizing:
            self._mode = _Mode.LINE  # RFC 9051 7.5: the client will not send it
        else:
            self._mode, self._need = _Mode.DISCARD, size  # RFC 7888 4: it is on its way

    def _skip_rest(self, line_end: bytes) -> None:
        """After an abandoned line: skip a non-synchronising literal that ends it, if any."""
        marker = _marker(line_end)
        if marker is not None and not marker.synchronizing:
            self._mode, self._need = _Mode.DISCARD, marker.size
        else:
            self._mode = _Mode.LINE

    def _current_tag(self, head: bytes) -> str | None:
        if self._append is not None:
            return self._append.tag
        first = self._parts[0] if self._parts else head
        return _guess_tag(first if isinstance(first, bytes) else head)

    def _take_line(self, budget: int) -> bytes | _Overflow | None:
        """One line without its CR LF; _Overflow (skipping set up) if over ``budget``."""
        end = self._buf.find(b"\n", self._scan)
        if end < 0:
            if len(self._buf) <= budget + 1:
                self._scan = len(self._buf)
                return None
            overflow = _Overflow(bytes(self._buf[:128]))
            self._tail = bytes(self._buf[-_TAIL:])
            self._buf.clear()
            self._scan = 0
            self._mode = _Mode.SKIP_LINE
            return overflow
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        self._scan = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > budget:
            self._skip_rest(line[-_TAIL:])
            return _Overflow(line[:128])
        return line

    # -- modes -----------------------------------------------------------------------

    def _step_line(self) -> _Step:
        line = self._take_line(self.limits.max_line - self._text_used)
        if line is None:
            return None
        if isinstance(line, _Overflow):
            tag = self._current_tag(line.head)
            self._reset_command()
            return BadCommand(tag, "command line too long", "LIMIT")
        if not line and not self._parts and self._append is None:
            return _AGAIN  # a stray empty line between commands
        marker = _marker(line)
        self._parts.append(line if marker is None else line[: marker.start])
        self._text_used += len(line)
        if marker is None:
            return self._finish_command()
        return self._announce(marker)

    def _finish_command(self) -> Event:
        parts, append = self._parts, self._append
        self._reset_command()
        try:
            if append is not None:
                grammar.parse_append_end(parts, append.tag, append.close_paren)
                return Append(append.tag, append.mailbox, tuple(append.messages))
            return grammar.parse_command(parts, self._context())
        except grammar.CommandError as exc:
            return BadCommand(exc.tag, exc.message, exc.code)
        except grammar.CommandCharsetError as exc:
            return BadCharset(exc.tag, exc.charset)

    def _announce(self, marker: _Marker) -> _Step:
        if self._append is not None:
            return self._announce_message(marker, self._append.tag)
        first = self._parts[0]
        assert isinstance(first, bytes)
        try:
            tag, name = grammar.peek_command(first)
            if name == "APPEND" and not grammar.append_mailbox_pending(self._parts):
                return self._announce_message(marker, tag)
        except grammar.CommandError as exc:
            return self._abandon(marker, BadCommand(exc.tag, exc.message, exc.code))
        if marker.binary:
            return self._abandon(marker, BadCommand(tag, "literal8 not allowed here"))
        if self._literals_used + marker.size > self.limits.max_literal:
            return self._abandon(marker, BadCommand(tag, "literal too large", "LIMIT"))
        self._literals_used += marker.size
        self._literal_binary = marker.binary
        self._pending = _Pending(marker.size, marker.synchronizing, append=False)
        self._mode = _Mode.PAUSED
        if marker.synchronizing:
            return NeedContinuation(tag, name, marker.size)
        self.accept_literal()  # RFC 7888: LITERAL+ needs no "+"; within limits, just read
        return _AGAIN

    def _abandon(self, marker: _Marker, event: Event) -> Event:
        self._refuse(marker.size, marker.synchronizing)
        return event

    def _announce_message(self, marker: _Marker, tag: str) -> Event:
        try:
            state = self._append_state(tag)
        except grammar.CommandError as exc:
            return self._abandon(marker, BadCommand(exc.tag, exc.message, exc.code))
        message = state.current
        assert message is not None
        if message.utf8 and not marker.binary:
            return self._abandon(marker, BadCommand(tag, "UTF8 needs a literal8"))
        if len(state.messages) >= self.limits.max_messages:
            return self._abandon(marker, BadCommand(tag, "too many messages", "LIMIT"))
        if marker.size > self.limits.max_append:
            return self._abandon(marker, TooBig(tag, marker.size, self.limits.max_append))
        message = AppendMessage(
            message.flags, message.internal_date, marker.size, marker.binary, message.utf8
        )
        state.current = message
        self._parts, self._text_used = [], 0
        self._pending = _Pending(marker.size, marker.synchronizing, append=True)
        self._mode = _Mode.PAUSED
        return AppendLiteral(tag, state.mailbox, message, marker.synchronizing, len(state.messages))

    def _append_state(self, tag: str) -> _AppendState:
        """Parse the text before a message literal into the (new or ongoing) APPEND."""
        state = self._append
        if state is None:
            tag, mailbox, prefix = grammar.parse_append_first(self._parts, self._context())
            state = self._append = _AppendState(tag, mailbox)
        else:
            prefix = grammar.parse_append_next(self._parts, state.tag, state.close_paren)
        state.current = AppendMessage(prefix.flags, prefix.internal_date, 0, utf8=prefix.utf8)
        return state

    def _step_literal(self) -> _Step:
        take = min(self._need, len(self._buf))
        self._literal += self._buf[:take]
        del self._buf[:take]
        self._need -= take
        if self._need:
            return None
        self._parts.append(Literal(bytes(self._literal), self._literal_binary))
        self._literal = bytearray()
        self._mode = _Mode.LINE
        return _AGAIN

    def _step_stream(self) -> _Step:
        state = self._append
        assert state is not None and state.current is not None
        take = min(self._need, len(self._buf), self.limits.chunk_size)
        if take == 0 and self._need:
            return None
        data = bytes(self._buf[:take])
        del self._buf[:take]
        self._need -= take
        final = self._need == 0
        if final:
            state.messages.append(state.current)
            state.close_paren = state.current.utf8
            self._mode = _Mode.LINE
        return LiteralChunk(state.tag, data, final)

    def _step_discard(self) -> _Step:
        take = min(self._need, len(self._buf))
        del self._buf[:take]
        self._need -= take
        if self._need:
            return None
        self._mode, self._tail = _Mode.SKIP_LINE, b""
        return _AGAIN

    def _step_skip_line(self) -> _Step:
        end = self._buf.find(b"\n")
        if end < 0:
            self._tail = (self._tail + bytes(self._buf[-_TAIL:]))[-_TAIL:]
            self._buf.clear()
            return None
        line_end = (self._tail + bytes(self._buf[max(0, end - _TAIL) : end]))[-_TAIL:]
        del self._buf[: end + 1]
        self._tail = b""
        self._skip_rest(line_end.removesuffix(b"\r"))
        return _AGAIN

    def _step_paused(self) -> _Step:
        return None

    def _step_idle(self) -> _Step:
        line = self._take_line(self.limits.max_line)
        if line is None:
            return None
        if not isinstance(line, _Overflow):
            self._mode = _Mode.LINE
        return IdleDone(self._line_tag, isinstance(line, bytes) and line.upper() == b"DONE")

    def _step_sasl(self) -> _Step:
        line = self._take_line(self.limits.max_line)
        if line is None:
            return None
        tag = self._line_tag
        if isinstance(line, _Overflow):
            return BadCommand(tag, "authentication response too long", "LIMIT")
        self._mode = _Mode.LINE
        if line == b"*":
            return BadCommand(tag, "authentication cancelled")  # RFC 9051 6.2.2
        try:
            return SaslResponse(tag, grammar.decode_base64(line))
        except ParseError:
            return BadCommand(tag, "invalid base64 in authentication response")

    _STEPS: ClassVar[dict[_Mode, Callable[[CommandParser], _Step]]] = {
        _Mode.LINE: _step_line,
        _Mode.LITERAL: _step_literal,
        _Mode.STREAM: _step_stream,
        _Mode.PAUSED: _step_paused,
        _Mode.DISCARD: _step_discard,
        _Mode.SKIP_LINE: _step_skip_line,
        _Mode.IDLE: _step_idle,
        _Mode.SASL: _step_sasl,
    }


@dataclass(frozen=True, slots=True)
class _Overflow:
    head: bytes  # the start of the refused line, to recover its tag
