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

from postroom.errors import Invalid

from . import command_types as c
from . import utf7
from .fetch_items import parse_fetch_items
from .lexer import MAX_NUMBER64, CharsetError, ParseError, Part, Reader
from .search_keys import parse_charset, parse_search_keys

__all__ = [
    "KNOWN_COMMANDS",
    "AppendPrefix",
    "CommandCharsetError",
    "CommandError",
    "Context",
    "append_mailbox_pending",
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
SEARCH_RETURN = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})  # RFC 4731, RFC 5182
SORT_KEYS = frozenset({"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"}) | {
    "DISPLAYFROM",  # RFC 5957
    "DISPLAYTO",
}
THREAD_ALGORITHMS = frozenset({"ORDEREDSUBJECT", "REFERENCES"})
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


@dataclass(frozen=True, slots=True)
class Context:
    utf8: bool
    max_depth: int


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
        return command

    return _guard(tag, run)


# -- shared pieces ------------------------------------------------------------------


def decode_mailbox(raw: bytes, utf8: bool) -> str:
    if utf8:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("mailbox name is not valid UTF-8") from None
    else:
        try:
            name = utf7.decode(raw)
        except Invalid as exc:
            raise ParseError(exc.message) from None
    return "INBOX" if name.upper() == "INBOX" else name  # RFC 9051 5.1


def _mailbox(reader: Reader, ctx: Context) -> str:
    return decode_mailbox(reader.astring(), ctx.utf8)


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{what} is not valid UTF-8") from None


def _atoms_in_parens(reader: Reader, *, allow_empty: bool = True) -> list[str]:
    """ "(" [atom *(SP atom)] ")", upper-cased."""
    reader.char(b"(")
    if reader.try_char(b")"):
        if not allow_empty:
            raise ParseError("empty list")
        return []
    out = [reader.atom().upper()]
    while reader.try_char(b" "):
        out.append(reader.atom().upper())
    reader.char(b")")
    return out


def _known(values: Sequence[str], allowed: frozenset[str], what: str) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise ParseError(f"unknown {what} {value[:40]}")
    return tuple(dict.fromkeys(values))


# -- any state and not authenticated ---------------------------------------------------


def _no_args(cls: type[c.Command]) -> _Parse:
    return lambda reader, tag, ctx: cls(tag)


def _login(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    user = _utf8(reader.astring(), "user name")
    reader.sp()
    return c.Login(tag, user, _utf8(reader.astring(), "password"))


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
        mailbox = _mailbox(reader, ctx)
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
    mailbox = _mailbox(reader, ctx)
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
        uses = _known(flags, SPECIAL_USES, "special-use attribute")
    return c.Create(tag, mailbox, uses)


def _one_mailbox(cls: type[c.Command]) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        return cls(tag, _mailbox(reader, ctx))  # type: ignore[call-arg]

    return parse


def _rename(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    old = _mailbox(reader, ctx)
    reader.sp()
    return c.Rename(tag, old, _mailbox(reader, ctx))


def _pattern(reader: Reader, ctx: Context) -> str:
    return decode_mailbox(reader.list_mailbox(), ctx.utf8)


def _list(reader: Reader, tag: str, ctx: Context) -> c.Command:
    # RFC 5258 6: "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    reader.sp()
    extended = reader.peek() == 0x28
    select: tuple[str, ...] = ()
    if extended:
        select = _known(_atoms_in_parens(reader), LIST_SELECT, "LIST selection option")
        if "RECURSIVEMATCH" in select and not set(select) - {"RECURSIVEMATCH", "REMOTE"}:
            raise ParseError("RECURSIVEMATCH needs another selection option")  # RFC 5258 3.1
        reader.sp()
    reference = _mailbox(reader, ctx)
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
        frozenset(_known(returns, LIST_RETURN, "LIST return option")),
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
            status = _known(_atoms_in_parens(reader, allow_empty=False), STATUS_ITEMS, "item")
        else:
            returns.append(option)
    return returns, status


def _lsub(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    reference = _mailbox(reader, ctx)
    reader.sp()
    return c.Lsub(tag, reference, _pattern(reader, ctx))


def _status(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    mailbox = _mailbox(reader, ctx)
    reader.sp()
    items = _atoms_in_parens(reader, allow_empty=False)
    return c.Status(tag, mailbox, _known(items, STATUS_ITEMS, "STATUS item"))


def _append_complete(reader: Reader, tag: str, ctx: Context) -> c.Command:
    raise ParseError("APPEND needs a message literal")


def _getquota(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    return c.GetQuota(tag, _mailbox(reader, ctx))


# -- selected ------------------------------------------------------------------------


def _uid_expunge(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    return c.UidExpunge(tag, reader.sequence_set())


def _search(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        returns: tuple[str, ...] | None = None
        if reader.try_keyword(b"RETURN"):  # RFC 4731 3.1
            reader.sp()
            returns = _known(_atoms_in_parens(reader), SEARCH_RETURN, "SEARCH return option")
            returns = returns or ("ALL",)
            reader.sp()
        charset = None
        if reader.try_keyword(b"CHARSET"):
            reader.sp()
            charset = parse_charset(reader)
            reader.sp()
        key = parse_search_keys(reader, ctx.max_depth)
        return c.Search(tag, key, charset, returns, uid)

    return parse


def _fetch(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        items = parse_fetch_items(reader)
        changedsince, vanished = None, False
        if reader.try_char(b" "):  # RFC 7162 3.1.4.1 / 3.2.6: fetch-modifiers
            changedsince, vanished = _fetch_modifiers(reader)
        if vanished and (not uid or changedsince is None):
            raise ParseError("VANISHED needs UID FETCH and CHANGEDSINCE")  # RFC 7162 3.2.6
        return c.Fetch(tag, sequence, items, changedsince, vanished, uid)

    return parse


def _fetch_modifiers(reader: Reader) -> tuple[int | None, bool]:
    # RFC 4466 2.4: fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
    reader.char(b"(")
    changedsince: int | None = None
    seen: set[str] = set()
    while True:
        name = reader.atom().upper()
        if name in seen or name not in ("CHANGEDSINCE", "VANISHED"):
            raise ParseError(f"invalid FETCH modifier {name[:40]}")
        seen.add(name)
        if name == "CHANGEDSINCE":
            reader.sp()
            changedsince = reader.number(MAX_NUMBER64)
        if not reader.try_char(b" "):
            break
    reader.char(b")")
    return changedsince, "VANISHED" in seen


def _store(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        unchangedsince = None
        if reader.try_char(b"("):  # RFC 7162 3.1.3: store-modifier
            reader.keyword(b"UNCHANGEDSINCE")
            reader.sp()
            unchangedsince = reader.number(MAX_NUMBER64)
            reader.char(b")")
            reader.sp()
        mode = c.StoreMode.REPLACE
        if reader.try_char(b"+"):
            mode = c.StoreMode.ADD
        elif reader.try_char(b"-"):
            mode = c.StoreMode.REMOVE
        item = reader.atom().upper()
        if item not in ("FLAGS", "FLAGS.SILENT"):
            raise ParseError("expected FLAGS or FLAGS.SILENT")
        reader.sp()
        flags = _store_flags(reader)
        return c.Store(tag, sequence, mode, flags, item.endswith("SILENT"), unchangedsince, uid)

    return parse


def _store_flags(reader: Reader) -> tuple[str, ...]:
    if reader.peek() == 0x28:
        return reader.flag_list()
    flags = [reader.flag()]
    while reader.try_char(b" "):
        flags.append(reader.flag())
    return tuple(dict.fromkeys(flags))


def _copy(cls: type[c.Copy] | type[c.Move], uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        return cls(tag, sequence, _mailbox(reader, ctx), uid)

    return parse


def _sort(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        # RFC 5256 5: "SORT" SP sort-criteria SP search-criteria
        reader.sp()
        reader.char(b"(")
        criteria = [_sort_criterion(reader)]
        while reader.try_char(b" "):
            criteria.append(_sort_criterion(reader))
        reader.char(b")")
        reader.sp()
        charset = parse_charset(reader)
        reader.sp()
        return c.Sort(tag, tuple(criteria), charset, parse_search_keys(reader, ctx.max_depth), uid)

    return parse


def _sort_criterion(reader: Reader) -> c.SortCriterion:
    reverse = reader.try_keyword(b"REVERSE")
    if reverse:
        reader.sp()
    key = reader.atom().upper()
    if key not in SORT_KEYS:
        raise ParseError(f"unknown sort key {key[:40]}")
    return c.SortCriterion(key, reverse)


def _thread(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        # RFC 5256 5: "THREAD" SP thread-alg SP search-criteria
        reader.sp()
        algorithm = reader.atom().upper()
        if algorithm not in THREAD_ALGORITHMS:
            raise ParseError(f"unsupported THREAD algorithm {algorithm[:40]}")
        reader.sp()
        charset = parse_charset(reader)
        reader.sp()
        key = parse_search_keys(reader, ctx.max_depth)
        return c.Thread(tag, algorithm, charset, key, uid)

    return parse


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
        mailbox = _mailbox(reader, ctx)
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
    "UID EXPUNGE": _uid_expunge,
    **{
        prefix + name: parse
        for uid, prefix in ((False, ""), (True, "UID "))
        for name, parse in (
            ("SEARCH", _search(uid)),
            ("FETCH", _fetch(uid)),
            ("STORE", _store(uid)),
            ("COPY", _copy(c.Copy, uid)),
            ("MOVE", _copy(c.Move, uid)),
            ("SORT", _sort(uid)),
            ("THREAD", _thread(uid)),
        )
    },
}
KNOWN_COMMANDS = frozenset(_state_name(name) for name in _TABLE)
