"""Per-command argument grammar: parts of one complete command -> a command dataclass.

``parse_command`` is called by the framer (``commands.CommandParser``) once a command is
complete; the APPEND helpers are called while an APPEND is still arriving, because its
message literals are streamed instead of buffered. Sections refer to RFC 9051 9 unless
noted.

Invariants:
- Every failure is ``CommandError`` (tag, message, code) or ``CommandCharsetError``; the
  tag is None only when the command did not start with a valid tag.
- Mailbox names are decoded strictly (modified UTF-7, or UTF-8 when ``utf8`` is set,
  RFC 6855 3 / RFC 9051 5.1) and INBOX is normalised case-insensitively (RFC 9051 5.1).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from . import command_types as c
from .lexer import (
    MAX_NUMBER64,
    CharsetError,
    Context,
    ParseError,
    Part,
    Reader,
    decode_mailbox,
    known,
    utf8_text,
)
from .message_grammar import MESSAGE_COMMANDS
from .search_keys import check_charset

__all__ = [
    "KNOWN_COMMANDS",
    "AppendPrefix",
    "CommandCharsetError",
    "CommandError",
    "append_mailbox_pending",
    "decode_base64",
    "parse_append_end",
    "parse_append_first",
    "parse_append_next",
    "parse_command",
    "peek_command",
]

STATUS_ITEMS = frozenset(
    {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE"}
    | {"HIGHESTMODSEQ", "APPENDLIMIT"}
)
LIST_SELECT = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
LIST_RETURN = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE"})
SPECIAL_USES = frozenset(
    {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"}
    | {"\\Important"}  # RFC 8457
)
UID_COMMANDS = frozenset({"COPY", "MOVE", "FETCH", "SEARCH", "STORE", "EXPUNGE", "SORT", "THREAD"})
MAX_ID_PAIRS = 30  # RFC 2971 3.3


class CommandError(Exception):
    def __init__(self, tag: str | None, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.tag, self.message, self.code = tag, message, code


class CommandCharsetError(Exception):
    def __init__(self, tag: str, charset: str) -> None:
        super().__init__(charset)
        self.tag, self.charset = tag, charset


_Parse = Callable[[Reader, str, Context], c.Command]


@dataclass(frozen=True, slots=True)
class AppendPrefix:
    """What precedes one APPEND message literal: [flags] [date-time] [UTF8 (]."""

    flags: tuple[str, ...]
    internal_date: datetime | None
    utf8: bool


_T = TypeVar("_T")


def _guard(tag: str | None, action: Callable[[], _T]) -> _T:
    try:
        return action()
    except ParseError as exc:
        raise CommandError(tag, exc.message, exc.code) from None
    except CharsetError as exc:
        assert tag is not None
        raise CommandCharsetError(tag, exc.charset) from None


def _head(reader: Reader) -> tuple[str, str]:
    """tag SP command-name [SP uid-subcommand]; the name is e.g. "FETCH" or "UID FETCH"."""
    tag = _guard(None, reader.tag)
    name = _guard(tag, lambda: _word_after_sp(reader))
    if name == "UID":
        sub = _guard(tag, lambda: _word_after_sp(reader))
        if sub not in UID_COMMANDS:
            raise CommandError(tag, "unknown UID command")
        name = f"UID {sub}"
    if name not in _TABLE:
        raise CommandError(tag, "unknown command")
    return tag, name


def _word_after_sp(reader: Reader) -> str:
    if reader.at_end():
        raise ParseError("missing command name")
    reader.sp()
    return reader.atom().upper()


def peek_command(first_text: bytes) -> tuple[str, str]:
    """Tag and state-table name (see ``states``) of a command from its first text segment;
    called when a literal is announced. Raises CommandError if unknown or malformed."""
    tag, name = _head(Reader([first_text]))
    return tag, _state_name(name)


def _state_name(name: str) -> str:
    return name if name == "UID EXPUNGE" else name.removeprefix("UID ")


def parse_command(parts: Sequence[Part], ctx: Context) -> c.Command:
    reader = Reader(parts)
    tag, name = _head(reader)
    parse = _TABLE[name]

    def run() -> c.Command:
        command = parse(reader, tag, ctx)
        reader.end()
        if isinstance(command, c.Search | c.Sort | c.Thread):
            check_charset(command.charset)
        return command

    return _guard(tag, run)


# -- any state and not authenticated ---------------------------------------------------


def _no_args(cls: type[c.Command]) -> _Parse:
    return lambda reader, tag, ctx: cls(tag)


def _login(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    user = utf8_text(reader.astring(), "user name")
    reader.sp()
    return c.Login(tag, user, utf8_text(reader.astring(), "password"))


def _authenticate(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    mechanism = reader.atom().upper()
    initial = None
    if reader.try_char(b" "):  # RFC 4959 3: SASL-IR
        initial = decode_base64(reader.base64())
    return c.Authenticate(tag, mechanism, initial)


def decode_base64(raw: bytes) -> bytes:
    """RFC 4959 3 / RFC 9051 6.2.2: "=" is an empty response; otherwise strict BASE64."""
    if raw == b"=":
        return b""
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ParseError("invalid base64") from None


def _id(reader: Reader, tag: str, ctx: Context) -> c.Command:
    # RFC 2971 4: id-params-list = "(" *(string SP nstring) ")" / nil
    reader.sp()
    if reader.try_keyword(b"NIL"):
        return c.Id(tag, None)
    reader.char(b"(")
    pairs: list[tuple[str, str | None]] = []
    while not reader.try_char(b")"):
        if pairs:
            reader.sp()
        if len(pairs) == MAX_ID_PAIRS:
            raise ParseError("too many ID parameters", "LIMIT")
        key = reader.string().decode("utf-8", "replace")
        reader.sp()
        value = reader.nstring()
        pairs.append((key, None if value is None else value.decode("utf-8", "replace")))
    return c.Id(tag, tuple(pairs))


def _enable(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    caps = [reader.atom().upper()]
    while reader.try_char(b" "):
        caps.append(reader.atom().upper())
    return c.Enable(tag, tuple(dict.fromkeys(caps)))


# -- authenticated -------------------------------------------------------------------


def _select(cls: type[c.SelectBase]) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        mailbox = reader.mailbox(ctx)
        condstore, qresync = False, None
        if reader.try_char(b" "):  # RFC 4466 2.1: select-params
            reader.char(b"(")
            while not reader.try_char(b")"):
                if condstore or qresync:
                    reader.sp()
                param = reader.atom().upper()
                if param == "CONDSTORE" and not condstore:
                    condstore = True
                elif param == "QRESYNC" and qresync is None:
                    reader.sp()
                    qresync = _qresync(reader)
                else:
                    raise ParseError(f"unknown SELECT parameter {param[:40]}")
        return cls(tag, mailbox, condstore, qresync)

    return parse


def _qresync(reader: Reader) -> c.QresyncParams:
    # RFC 7162 7: "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
    reader.char(b"(")
    uidvalidity = reader.nz_number()
    reader.sp()
    modseq = reader.nz_number(MAX_NUMBER64)
    known = match = None
    if reader.try_char(b" ") and reader.peek() != 0x28:
        known = reader.sequence_set()
        reader.try_char(b" ")
    if reader.try_char(b"("):
        seqs = reader.sequence_set()
        reader.sp()
        match = (seqs, reader.sequence_set())
        reader.char(b")")
    reader.char(b")")
    return c.QresyncParams(uidvalidity, modseq, known, match)


def _create(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    mailbox = reader.mailbox(ctx)
    uses: tuple[str, ...] = ()
    if reader.try_char(b" "):  # RFC 6154 5.2: create-param "USE" SP "(" use-attr ... ")"
        reader.char(b"(")
        reader.keyword(b"USE")
        reader.sp()
        reader.char(b"(")
        flags: list[str] = []
        while not reader.try_char(b")"):
            if flags:
                reader.sp()
            flags.append(reader.flag())
        reader.char(b")")
        uses = known(flags, SPECIAL_USES, "special-use attribute")
    return c.Create(tag, mailbox, uses)


def _one_mailbox(cls: type[c.Command]) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        return cls(tag, reader.mailbox(ctx))  # type: ignore[call-arg]

    return parse


def _rename(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    old = reader.mailbox(ctx)
    reader.sp()
    return c.Rename(tag, old, reader.mailbox(ctx))


def _pattern(reader: Reader, ctx: Context) -> str:
    return decode_mailbox(reader.list_mailbox(), ctx.utf8)


def _list(reader: Reader, tag: str, ctx: Context) -> c.Command:
    # RFC 5258 6: "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    reader.sp()
    extended = reader.peek() == 0x28
    select: tuple[str, ...] = ()
    if extended:
        select = known(reader.atoms_in_parens(), LIST_SELECT, "LIST selection option")
        if "RECURSIVEMATCH" in select and not set(select) - {"RECURSIVEMATCH", "REMOTE"}:
            raise ParseError("RECURSIVEMATCH needs another selection option")  # RFC 5258 3.1
        reader.sp()
    reference = reader.mailbox(ctx)
    reader.sp()
    if reader.try_char(b"("):
        extended = True
        patterns = [_pattern(reader, ctx)]
        while reader.try_char(b" "):
            patterns.append(_pattern(reader, ctx))
        reader.char(b")")
    else:
        patterns = [_pattern(reader, ctx)]
    returns: list[str] = []
    status: tuple[str, ...] | None = None
    if reader.try_char(b" "):
        extended = True
        reader.keyword(b"RETURN")
        reader.sp()
        returns, status = _list_returns(reader)
    return c.List(
        tag,
        reference,
        tuple(patterns),
        frozenset(select),
        frozenset(known(returns, LIST_RETURN, "LIST return option")),
        status,
        extended,
    )


def _list_returns(reader: Reader) -> tuple[list[str], tuple[str, ...] | None]:
    reader.char(b"(")
    returns: list[str] = []
    status: tuple[str, ...] | None = None
    first = True
    while not reader.try_char(b")"):
        if not first:
            reader.sp()
        first = False
        option = reader.atom().upper()
        if option == "STATUS" and status is None:  # RFC 5819 3
            reader.sp()
            status = known(reader.atoms_in_parens(allow_empty=False), STATUS_ITEMS, "item")
        else:
            returns.append(option)
    return returns, status


def _lsub(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    reference = reader.mailbox(ctx)
    reader.sp()
    return c.Lsub(tag, reference, _pattern(reader, ctx))


def _status(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    mailbox = reader.mailbox(ctx)
    reader.sp()
    items = reader.atoms_in_parens(allow_empty=False)
    return c.Status(tag, mailbox, known(items, STATUS_ITEMS, "STATUS item"))


def _append_complete(reader: Reader, tag: str, ctx: Context) -> c.Command:
    raise ParseError("APPEND needs a message literal")


def _getquota(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    return c.GetQuota(tag, reader.mailbox(ctx))


# -- APPEND while it streams (RFC 9051 6.3.12, RFC 3502, RFC 6855 4) ---------------------


def append_mailbox_pending(parts: Sequence[Part]) -> bool:
    """True if the literal being announced is APPEND's mailbox, not a message."""
    reader = Reader(parts)
    _head(reader)
    return reader.try_char(b" ") and reader.at_end()


def _append_prefix(reader: Reader) -> AppendPrefix:
    # append-opts = [SP flag-list] [SP date-time]; then SP, then the literal (or UTF8 "(")
    reader.sp()
    flags: tuple[str, ...] = ()
    internal_date = None
    if reader.peek() == 0x28:
        flags = reader.flag_list()
        reader.sp()
    if reader.peek() == 0x22:
        internal_date = reader.date_time()
        reader.sp()
    utf8 = reader.try_keyword(b"UTF8")
    if utf8:
        reader.sp()
        reader.char(b"(")
    reader.end()
    return AppendPrefix(flags, internal_date, utf8)


def parse_append_first(parts: Sequence[Part], ctx: Context) -> tuple[str, str, AppendPrefix]:
    """tag SP "APPEND" SP mailbox <prefix of the first message>: (tag, mailbox, prefix)."""
    reader = Reader(parts)
    tag, _ = _head(reader)

    def run() -> tuple[str, AppendPrefix]:
        reader.sp()
        mailbox = reader.mailbox(ctx)
        return mailbox, _append_prefix(reader)

    mailbox, prefix = _guard(tag, run)
    return tag, mailbox, prefix


def parse_append_next(parts: Sequence[Part], tag: str, close_paren: bool) -> AppendPrefix:
    """The text between two MULTIAPPEND message literals (RFC 3502 6.3.11)."""

    def run() -> AppendPrefix:
        reader = Reader(parts)
        if close_paren:
            reader.char(b")")
        return _append_prefix(reader)

    return _guard(tag, run)


def parse_append_end(parts: Sequence[Part], tag: str, close_paren: bool) -> None:
    """The text after the last message literal: [")"] and the end of the command."""

    def run() -> None:
        reader = Reader(parts)
        if close_paren:
            reader.char(b")")
        reader.end()

    _guard(tag, run)


_TABLE: dict[str, _Parse] = {
    "CAPABILITY": _no_args(c.Capability),
    "NOOP": _no_args(c.Noop),
    "LOGOUT": _no_args(c.Logout),
    "STARTTLS": _no_args(c.Starttls),
    "NAMESPACE": _no_args(c.Namespace),
    "CHECK": _no_args(c.Check),
    "CLOSE": _no_args(c.Close),
    "UNSELECT": _no_args(c.Unselect),
    "EXPUNGE": _no_args(c.Expunge),
    "IDLE": _no_args(c.Idle),
    "ID": _id,
    "LOGIN": _login,
    "AUTHENTICATE": _authenticate,
    "ENABLE": _enable,
    "SELECT": _select(c.Select),
    "EXAMINE": _select(c.Examine),
    "CREATE": _create,
    "DELETE": _one_mailbox(c.Delete),
    "RENAME": _rename,
    "SUBSCRIBE": _one_mailbox(c.Subscribe),
    "UNSUBSCRIBE": _one_mailbox(c.Unsubscribe),
    "LIST": _list,
    "LSUB": _lsub,
    "STATUS": _status,
    "APPEND": _append_complete,
    "GETQUOTA": _getquota,
    "GETQUOTAROOT": _one_mailbox(c.GetQuotaRoot),
    **MESSAGE_COMMANDS,
}
KNOWN_COMMANDS = frozenset(_state_name(name) for name in _TABLE)
