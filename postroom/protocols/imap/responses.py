"""Every IMAP server response, as bytes (RFC 3501 7, RFC 9051 7, and the extensions).

Handlers never write reply strings themselves: they call these functions, which return
complete lines (``b"... \\r\\n"``, literals included) ready to be written.

Values inside responses (FETCH data, envelopes, LIST extended data) are plain Python
values encoded by ``encode_value``:

============================  ==============================================
``None``                      NIL
``int``                       number
``str`` / ``bytes``           string: quoted when safe, otherwise a literal
``datetime``                  quoted date-time ("17-Jul-1996 02:44:25 -0700")
``Atom("\\\\Seen")``          written as is (flags, keywords, fixed tokens)
``Literal8(data)``            ``~{n}`` literal8 (RFC 3516 4.3, BINARY[...])
``Raw(b"...")``               pre-encoded bytes (e.g. a cached BODYSTRUCTURE)
``list`` / ``tuple``          parenthesised list
============================  ==============================================

Invariants:
- Strings are quoted only if they are at most 1024 octets of printable US-ASCII without
  ``"`` and ``\\`` (or valid UTF-8 when ``utf8`` is set, RFC 6855 3); anything else is a
  literal, so no value can break a line or inject a response.
- Human-readable text has CR and LF replaced and non-ASCII replaced by "?".
- Mailbox names are modified UTF-7 unless ``utf8`` (UTF8=ACCEPT / IMAP4rev2) is set.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from . import utf7
from .fetch_items import BinarySize, BodySection, FetchAttr, FetchItem
from .sequences import format_set

QUOTE_LIMIT = 1024
_CRLF = b"\r\n"
_SAFE_QUOTED = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_ASTRING_ATOM = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\]+")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Status(StrEnum):
    OK = "OK"
    NO = "NO"
    BAD = "BAD"
    PREAUTH = "PREAUTH"
    BYE = "BYE"


class Code(StrEnum):
    """Response codes: RFC 3501/9051 7.1, RFC 5530, RFC 4315, RFC 7162, RFC 9208, RFC 7889."""

    ALERT = "ALERT"
    ALREADYEXISTS = "ALREADYEXISTS"
    APPENDUID = "APPENDUID"
    AUTHENTICATIONFAILED = "AUTHENTICATIONFAILED"
    AUTHORIZATIONFAILED = "AUTHORIZATIONFAILED"
    BADCHARSET = "BADCHARSET"
    CANNOT = "CANNOT"
    CAPABILITY = "CAPABILITY"
    CLIENTBUG = "CLIENTBUG"
    CLOSED = "CLOSED"
    CONTACTADMIN = "CONTACTADMIN"
    COPYUID = "COPYUID"
    CORRUPTION = "CORRUPTION"
    EXPIRED = "EXPIRED"
    EXPUNGEISSUED = "EXPUNGEISSUED"
    HASCHILDREN = "HASCHILDREN"
    HIGHESTMODSEQ = "HIGHESTMODSEQ"
    INUSE = "INUSE"
    LIMIT = "LIMIT"
    MODIFIED = "MODIFIED"
    NOMODSEQ = "NOMODSEQ"
    NONEXISTENT = "NONEXISTENT"
    NOPERM = "NOPERM"
    NOTSAVED = "NOTSAVED"
    OVERQUOTA = "OVERQUOTA"
    PARSE = "PARSE"
    PERMANENTFLAGS = "PERMANENTFLAGS"
    PRIVACYREQUIRED = "PRIVACYREQUIRED"
    READ_ONLY = "READ-ONLY"
    READ_WRITE = "READ-WRITE"
    SERVERBUG = "SERVERBUG"
    TOOBIG = "TOOBIG"
    TRYCREATE = "TRYCREATE"
    UIDNEXT = "UIDNEXT"
    UIDNOTSTICKY = "UIDNOTSTICKY"
    UIDVALIDITY = "UIDVALIDITY"
    UNAVAILABLE = "UNAVAILABLE"
    UNKNOWN_CTE = "UNKNOWN-CTE"
    UNSEEN = "UNSEEN"


# -- values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Atom:
    text: str


@dataclass(frozen=True, slots=True)
class Literal8:
    data: bytes


@dataclass(frozen=True, slots=True)
class Raw:
    data: bytes


Value = (
    None
    | int
    | str
    | bytes
    | datetime
    | Atom
    | Literal8
    | Raw
    | list["Value"]
    | tuple["Value", ...]
)


def encode_string(value: str | bytes, *, utf8: bool = False) -> bytes:
    """Quoted string when safe, else a synchronising-literal form ``{n}\\r\\n...``."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if len(data) <= QUOTE_LIMIT and _quotable(data, utf8):
        return b'"' + data + b'"'
    return b"{%d}\r\n" % len(data) + data


def _quotable(data: bytes, utf8: bool) -> bool:
    if _SAFE_QUOTED.fullmatch(data):
        return True
    if not utf8 or any(b in b'"\\\r\n\x00' or b < 0x20 or b == 0x7F for b in data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def encode_nstring(value: str | bytes | None, *, utf8: bool = False) -> bytes:
    return b"NIL" if value is None else encode_string(value, utf8=utf8)


def encode_astring(value: str | bytes, *, utf8: bool = False) -> bytes:
    """An atom when the text is one (and not NIL), else a string."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if _ASTRING_ATOM.fullmatch(data) and data.upper() != b"NIL":
        return data
    return encode_string(data, utf8=utf8)


def encode_literal8(data: bytes) -> bytes:
    return b"~{%d}\r\n" % len(data) + data


def encode_datetime(moment: datetime) -> bytes:
    """RFC 9051 9: date-time, day space-padded; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset()
    if offset and offset.total_seconds() % 60:
        # zone = ("+" / "-") 4DIGIT has minutes only (e.g. historical LMT offsets):
        # keep the instant exact by writing it in UTC.
        moment, offset = moment.astimezone(UTC), None
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    text = (
        f"{moment.day:2d}-{_MONTHS[moment.month - 1]}-{moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{mins:02d}"
    )
    return b'"' + text.encode("ascii") + b'"'


def encode_mailbox(name: str, *, utf8: bool = False) -> bytes:
    """RFC 9051 5.1: modified UTF-7 unless UTF-8 names are enabled (RFC 6855 3)."""
    return encode_string(name if utf8 else utf7.encode(name), utf8=utf8)


def encode_value(value: Value, *, utf8: bool = False) -> bytes:
    if value is None:
        return b"NIL"
    if isinstance(value, bool):
        raise TypeError("booleans have no IMAP encoding")
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, str | bytes):
        return encode_string(value, utf8=utf8)
    if isinstance(value, datetime):
        return encode_datetime(value)
    if isinstance(value, Atom):
        return value.text.encode("ascii")
    if isinstance(value, Literal8):
        return encode_literal8(value.data)
    if isinstance(value, Raw):
        return value.data
    return encode_list(value, utf8=utf8)


def encode_list(values: Iterable[Value], *, utf8: bool = False) -> bytes:
    return b"(" + b" ".join(encode_value(v, utf8=utf8) for v in values) + b")"


def flag_list(flags: Iterable[str]) -> list[Value]:
    """Flags as a value: ``FLAGS`` items and the FLAGS / PERMANENTFLAGS lists."""
    return [Atom(flag) for flag in flags]


Address = tuple[str | bytes | None, str | bytes | None, str | bytes | None, str | bytes | None]


def envelope(
    date: str | bytes | None,
    subject: str | bytes | None,
    from_: Sequence[Address] | None,
    sender: Sequence[Address] | None,
    reply_to: Sequence[Address] | None,
    to: Sequence[Address] | None,
    cc: Sequence[Address] | None,
    bcc: Sequence[Address] | None,
    in_reply_to: str | bytes | None,
    message_id: str | bytes | None,
) -> Value:
    """RFC 9051 7.5.2 ENVELOPE; an address is (name, adl, mailbox, host)."""

    def addresses(items: Sequence[Address] | None) -> Value:
        return None if not items else [list(item) for item in items]

    lists = [addresses(x) for x in (from_, sender, reply_to, to, cc, bcc)]
    return [date, subject, *lists, in_reply_to, message_id]


# -- response codes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseCode:
    code: Code
    data: bytes = b""

    def encode(self) -> bytes:
        inner = self.code.value.encode("ascii")
        return b"[" + inner + (b" " + self.data if self.data else b"") + b"]"


def capability_code(capabilities: Iterable[str]) -> ResponseCode:
    return ResponseCode(Code.CAPABILITY, " ".join(capabilities).encode("ascii"))


def permanent_flags(flags: Iterable[str]) -> ResponseCode:
    return ResponseCode(Code.PERMANENTFLAGS, encode_list(flag_list(flags)))


def uid_validity(value: int) -> ResponseCode:
    return ResponseCode(Code.UIDVALIDITY, b"%d" % value)


def uid_next(value: int) -> ResponseCode:
    return ResponseCode(Code.UIDNEXT, b"%d" % value)


def unseen(seq: int) -> ResponseCode:
    return ResponseCode(Code.UNSEEN, b"%d" % seq)


def highest_modseq(value: int) -> ResponseCode:
    return ResponseCode(Code.HIGHESTMODSEQ, b"%d" % value)


def append_uid(uidvalidity: int, uids: Iterable[int]) -> ResponseCode:
    """RFC 4315 3: [APPENDUID uidvalidity uid-set]."""
    return ResponseCode(Code.APPENDUID, f"{uidvalidity} {format_set(uids)}".encode())


def copy_uid(uidvalidity: int, source: Sequence[int], dest: Sequence[int]) -> ResponseCode:
    """RFC 4315 3: [COPYUID uidvalidity source dest]; pairs by position, order kept."""
    text = f"{uidvalidity} {format_set(source, sort=False)} {format_set(dest, sort=False)}"
    return ResponseCode(Code.COPYUID, text.encode())


def modified(numbers: Iterable[int]) -> ResponseCode:
    """RFC 7162 3.1.3: [MODIFIED set] after a conditional STORE."""
    return ResponseCode(Code.MODIFIED, format_set(numbers).encode())


def bad_charset(charsets: Iterable[str]) -> ResponseCode:
    """RFC 9051 7.1: [BADCHARSET (charset ...)]."""
    return ResponseCode(Code.BADCHARSET, encode_list([Atom(c) for c in charsets]))


# -- status responses -----------------------------------------------------------------


def _text(text: str) -> bytes:
    clean = " ".join(text.splitlines()).strip()
    return clean.encode("ascii", "replace") or b"completed"


def _status_line(
    prefix: bytes, status: Status, text: str, code: Code | ResponseCode | None
) -> bytes:
    if isinstance(code, Code):
        code = ResponseCode(code)
    encoded = code.encode() + b" " if code is not None else b""
    return prefix + b" " + status.value.encode() + b" " + encoded + _text(text) + _CRLF


def tagged(tag: str, status: Status, text: str, code: Code | ResponseCode | None = None) -> bytes:
    return _status_line(tag.encode("ascii"), status, text, code)


def ok(tag: str, text: str = "completed", code: Code | ResponseCode | None = None) -> bytes:
    return tagged(tag, Status.OK, text, code)


def no(tag: str, text: str, code: Code | ResponseCode | None = None) -> bytes:
    return tagged(tag, Status.NO, text, code)


def bad(tag: str | None, text: str, code: Code | ResponseCode | None = None) -> bytes:
    """A tagged BAD, or ``* BAD`` when the tag could not be read (RFC 9051 7.1.3)."""
    return untagged(Status.BAD, text, code) if tag is None else tagged(tag, Status.BAD, text, code)


def untagged(status: Status, text: str, code: Code | ResponseCode | None = None) -> bytes:
    return _status_line(b"*", status, text, code)


def greeting(
    text: str, capabilities: Iterable[str] | None = None, *, preauth: bool = False
) -> bytes:
    """RFC 9051 7.1.1/7.1.4: the server greeting, with [CAPABILITY ...] if given."""
    code = capability_code(capabilities) if capabilities is not None else None
    return untagged(Status.PREAUTH if preauth else Status.OK, text, code)


def bye(text: str, code: Code | ResponseCode | None = None) -> bytes:
    return untagged(Status.BYE, text, code)


def continuation(text: str = "Ready") -> bytes:
    """RFC 9051 7.6: "+ text" (literal continuation, IDLE)."""
    return b"+ " + _text(text) + _CRLF


def challenge(data: bytes) -> bytes:
    """RFC 9051 6.2.2: a SASL challenge, BASE64 ("+ " alone for an empty one)."""
    return b"+ " + base64.b64encode(data) + _CRLF


# -- untagged data --------------------------------------------------------------------


def _data(*pieces: bytes) -> bytes:
    return b"* " + b" ".join(pieces) + _CRLF


def exists(count: int) -> bytes:
    return _data(b"%d" % count, b"EXISTS")


def recent(count: int) -> bytes:
    return _data(b"%d" % count, b"RECENT")


def expunge(seq: int) -> bytes:
    return _data(b"%d" % seq, b"EXPUNGE")


def vanished(uids: Iterable[int], *, earlier: bool = False) -> bytes:
    """RFC 7162 3.2.10: * VANISHED [(EARLIER)] uid-set; b"" when there are none."""
    uid_set = format_set(uids)
    if not uid_set:
        return b""
    return _data(b"VANISHED", *([b"(EARLIER)"] if earlier else []), uid_set.encode())


def flags(flag_names: Iterable[str]) -> bytes:
    return _data(b"FLAGS", encode_list(flag_list(flag_names)))


def capability(capabilities: Iterable[str]) -> bytes:
    return _data(b"CAPABILITY", " ".join(capabilities).encode("ascii"))


def enabled(capabilities: Iterable[str]) -> bytes:
    """RFC 5161 3.2: * ENABLED [capability ...] (sent even when empty)."""
    return _data(b"ENABLED", *(cap.encode("ascii") for cap in capabilities))


def list_mailbox(
    attributes: Iterable[str],
    delimiter: str | None,
    name: str,
    *,
    utf8: bool = False,
    childinfo: Sequence[str] = (),
    oldname: str | None = None,
    command: str = "LIST",
) -> bytes:
    """RFC 9051 7.3.1 LIST (or LSUB) with RFC 5258 extended data (CHILDINFO, OLDNAME)."""
    pieces = [
        command.encode("ascii"),
        encode_list(flag_list(attributes)),
        encode_nstring(delimiter),
        encode_mailbox(name, utf8=utf8),
    ]
    extended: list[Value] = []
    if childinfo:  # RFC 5258 4
        extended += ["CHILDINFO", list(childinfo)]
    if oldname is not None:  # RFC 9051 7.3.1
        extended += ["OLDNAME", [Raw(encode_mailbox(oldname, utf8=utf8))]]
    if extended:
        pieces.append(encode_list(extended))
    return _data(*pieces)


def lsub(
    attributes: Iterable[str], delimiter: str | None, name: str, *, utf8: bool = False
) -> bytes:
    return list_mailbox(attributes, delimiter, name, utf8=utf8, command="LSUB")


def status(name: str, items: Sequence[tuple[str, int]], *, utf8: bool = False) -> bytes:
    """RFC 9051 7.3.3: * STATUS mailbox (ITEM n ...), items in the order given."""
    values: list[Value] = []
    for item, number in items:
        values += [Atom(item), number]
    return _data(b"STATUS", encode_mailbox(name, utf8=utf8), encode_list(values))


def _numbers_with_modseq(word: bytes, numbers: Iterable[int], modseq: int | None) -> bytes:
    pieces = [word, *(b"%d" % n for n in numbers)]
    if modseq is not None:  # RFC 7162 3.1.5
        pieces.append(b"(MODSEQ %d)" % modseq)
    return _data(*pieces)


def search(numbers: Iterable[int], *, modseq: int | None = None) -> bytes:
    return _numbers_with_modseq(b"SEARCH", numbers, modseq)


def sort(numbers: Iterable[int], *, modseq: int | None = None) -> bytes:
    """RFC 5256 4: * SORT n ...; MODSEQ as in RFC 7162 3.1.5."""
    return _numbers_with_modseq(b"SORT", numbers, modseq)


def esearch(
    tag: str | None,
    *,
    uid: bool,
    minimum: int | None = None,
    maximum: int | None = None,
    all_numbers: Iterable[int] | None = None,
    count: int | None = None,
    modseq: int | None = None,
) -> bytes:
    """RFC 4731 3.1: * ESEARCH (TAG "t") [UID] MIN MAX ALL COUNT [MODSEQ]; absent
    results are omitted (ALL is omitted when empty)."""
    pieces = [b"ESEARCH"]
    if tag is not None:
        pieces.append(b"(TAG " + encode_string(tag) + b")")
    if uid:
        pieces.append(b"UID")
    for word, number in ((b"MIN", minimum), (b"MAX", maximum)):
        if number is not None:
            pieces.append(word + b" %d" % number)
    if all_numbers is not None and (uid_set := format_set(all_numbers)):
        pieces.append(b"ALL " + uid_set.encode())
    for word, number in ((b"COUNT", count), (b"MODSEQ", modseq)):
        if number is not None:
            pieces.append(word + b" %d" % number)
    return _data(*pieces)


@dataclass(frozen=True, slots=True)
class ThreadNode:
    """A message (``number`` None for a missing parent) and its replies (RFC 5256 4)."""

    number: int | None
    children: tuple[ThreadNode, ...] = ()


def _thread_members(node: ThreadNode) -> bytes:
    pieces: list[bytes] = []
    while True:  # a chain of single replies stays in one list: "(1 2 3)"
        if node.number is not None:
            pieces.append(b"%d" % node.number)
        if len(node.children) != 1:
            break
        node = node.children[0]
    if node.children:  # branches become nested lists: "(1 (2)(3 4))"
        pieces.append(b"".join(b"(" + _thread_members(child) + b")" for child in node.children))
    return b" ".join(pieces)


def thread(threads: Iterable[ThreadNode]) -> bytes:
    """RFC 5256 4: * THREAD (thread)(thread)..."""
    body = b"".join(b"(" + _thread_members(node) + b")" for node in threads)
    return b"* THREAD" + (b" " + body if body else b"") + _CRLF


def fetch_label(item: FetchItem) -> str:
    """The name a requested FETCH item is answered under (RFC 9051 7.5.2): .PEEK is
    dropped and a partial shows its origin only (``BODY[1.TEXT]<0>``)."""
    if isinstance(item, FetchAttr):
        return item.name
    part = ".".join(str(n) for n in item.part)
    if isinstance(item, BinarySize):
        return f"BINARY.SIZE[{part}]"
    assert isinstance(item, BodySection)
    spec = ".".join(x for x in (part, item.text) if x)
    if item.fields:
        names = b" ".join(encode_astring(name) for name in item.fields).decode("ascii")
        spec += f" ({names})"
    origin = f"<{item.partial[0]}>" if item.partial else ""
    return f"{'BINARY' if item.binary else 'BODY'}[{spec}]{origin}"


def fetch(seq: int, items: Sequence[tuple[str, Value]], *, utf8: bool = False) -> bytes:
    """RFC 9051 7.5.2: * seq FETCH (NAME value ...), in the order given."""
    body = b" ".join(name.encode("ascii") + b" " + encode_value(v, utf8=utf8) for name, v in items)
    return _data(b"%d" % seq, b"FETCH", b"(" + body + b")")


def id_response(params: Mapping[str, str | None] | None) -> bytes:
    """RFC 2971 3.2: * ID ("field" "value" ...) or * ID NIL."""
    if not params:
        return _data(b"ID", b"NIL")
    values: list[Value] = []
    for key, value in params.items():
        values += [key, value]
    return _data(b"ID", encode_list(values))


Namespace = Sequence[tuple[str, str | None]] | None  # (prefix, delimiter) pairs or NIL


def namespace(
    personal: Namespace, other: Namespace, shared: Namespace, *, utf8: bool = False
) -> bytes:
    """RFC 9051 7.3.2 / RFC 2342 5: * NAMESPACE personal other shared."""

    def one(entries: Namespace) -> bytes:
        if not entries:
            return b"NIL"
        return encode_list(
            [
                Raw(b"(" + encode_mailbox(p, utf8=utf8) + b" " + encode_nstring(d) + b")")
                for p, d in entries
            ]
        )

    return _data(b"NAMESPACE", one(personal), one(other), one(shared))


def quota(root: str, resources: Sequence[tuple[str, int, int]]) -> bytes:
    """RFC 9208 5.1: * QUOTA root (RESOURCE usage limit ...); STORAGE is in KiB."""
    values: list[Value] = []
    for name, usage, limit in resources:
        values += [Atom(name), usage, limit]
    return _data(b"QUOTA", encode_astring(root), encode_list(values))


def quotaroot(mailbox: str, roots: Iterable[str], *, utf8: bool = False) -> bytes:
    """RFC 9208 5.2: * QUOTAROOT mailbox root ..."""
    return _data(
        b"QUOTAROOT", encode_mailbox(mailbox, utf8=utf8), *(encode_astring(r) for r in roots)
    )
