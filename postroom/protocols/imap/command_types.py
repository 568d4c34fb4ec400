"""The parsed IMAP commands: one frozen dataclass per command kind.

Every command has ``tag`` and a class attribute ``name`` (upper case) that the dispatcher
checks against ``states.ALLOWED`` and maps to ``handle_<verb>``. UID variants of COPY,
MOVE, FETCH, SEARCH, STORE, SORT and THREAD are the same class with ``uid=True``;
``UID EXPUNGE`` is its own class (its semantics differ from EXPUNGE).

Conventions for field values:
- Mailbox names are ``str``, already decoded from modified UTF-7 (or UTF-8 when the
  parser's ``utf8_mailboxes`` is on) and with INBOX in any case normalised to "INBOX".
- Keywords from a closed set (status items, options, sort keys) are upper-case ``str``.
- Flags are ``str`` with system flags in canonical case (``\\Seen``); keywords as sent.
- Sequence sets are ``sequences.SequenceSet`` (unresolved; may be "$").

Invariants: plain data, immutable, no behaviour; constructing one never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from .fetch_items import FetchItem
from .search_keys import SearchKey
from .sequences import SequenceSet

__all__ = [
    "COMMAND_TYPES",
    "Append",
    "AppendMessage",
    "Authenticate",
    "Capability",
    "Check",
    "Close",
    "Command",
    "Copy",
    "Create",
    "Delete",
    "Enable",
    "Examine",
    "Expunge",
    "Fetch",
    "GetQuota",
    "GetQuotaRoot",
    "Id",
    "Idle",
    "List",
    "Login",
    "Logout",
    "Lsub",
    "Move",
    "Namespace",
    "Noop",
    "QresyncParams",
    "Rename",
    "Search",
    "Select",
    "SelectBase",
    "Sort",
    "SortCriterion",
    "Starttls",
    "Status",
    "Store",
    "StoreMode",
    "Subscribe",
    "Thread",
    "UidExpunge",
    "Unselect",
    "Unsubscribe",
]


class StoreMode(StrEnum):
    REPLACE = "replace"  # FLAGS
    ADD = "add"  # +FLAGS
    REMOVE = "remove"  # -FLAGS


@dataclass(frozen=True, slots=True)
class Command:
    tag: str
    name: ClassVar[str] = ""


# -- any state (RFC 9051 6.1) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capability(Command):
    name: ClassVar[str] = "CAPABILITY"


@dataclass(frozen=True, slots=True)
class Noop(Command):
    name: ClassVar[str] = "NOOP"


@dataclass(frozen=True, slots=True)
class Logout(Command):
    name: ClassVar[str] = "LOGOUT"


@dataclass(frozen=True, slots=True)
class Id(Command):
    """RFC 2971: ``params`` is None for NIL, else (field, value-or-None) pairs."""

    name: ClassVar[str] = "ID"
    params: tuple[tuple[str, str | None], ...] | None


# -- not authenticated (RFC 9051 6.2) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Starttls(Command):
    name: ClassVar[str] = "STARTTLS"


@dataclass(frozen=True, slots=True)
class Authenticate(Command):
    """``initial_response`` (RFC 4959 SASL-IR) is decoded; "=" gives b""; absent is None."""

    name: ClassVar[str] = "AUTHENTICATE"
    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True, slots=True)
class Login(Command):
    name: ClassVar[str] = "LOGIN"
    username: str
    password: str


# -- authenticated (RFC 9051 6.3) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enable(Command):
    name: ClassVar[str] = "ENABLE"
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QresyncParams:
    """RFC 7162 3.2.5: QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])."""

    uidvalidity: int
    modseq: int
    known_uids: SequenceSet | None = None
    seq_match: tuple[SequenceSet, SequenceSet] | None = None


@dataclass(frozen=True, slots=True)
class SelectBase(Command):
    """Shared shape of SELECT and EXAMINE (siblings, so ``match`` cannot confuse them)."""

    mailbox: str
    condstore: bool = False  # RFC 7162 3.1.8
    qresync: QresyncParams | None = None  # RFC 7162 3.2.5
    readonly: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class Select(SelectBase):
    name: ClassVar[str] = "SELECT"


@dataclass(frozen=True, slots=True)
class Examine(SelectBase):
    name: ClassVar[str] = "EXAMINE"
    readonly: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Create(Command):
    """``special_use`` from RFC 6154 5.2 ``CREATE name (USE (\\Sent))``."""

    name: ClassVar[str] = "CREATE"
    mailbox: str
    special_use: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delete(Command):
    name: ClassVar[str] = "DELETE"
    mailbox: str


@dataclass(frozen=True, slots=True)
class Rename(Command):
    name: ClassVar[str] = "RENAME"
    mailbox: str
    new_name: str


@dataclass(frozen=True, slots=True)
class Subscribe(Command):
    name: ClassVar[str] = "SUBSCRIBE"
    mailbox: str


@dataclass(frozen=True, slots=True)
class Unsubscribe(Command):
    name: ClassVar[str] = "UNSUBSCRIBE"
    mailbox: str


@dataclass(frozen=True, slots=True)
class List(Command):
    """LIST (RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819) and
    SPECIAL-USE (RFC 6154).

    ``select``: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE. ``returns``: SUBSCRIBED,
    CHILDREN, SPECIAL-USE (and STATUS when ``status_items`` is not None).
    ``extended`` is True when any RFC 5258 syntax was used (then CHILDINFO applies).
    Patterns keep their wildcards ``*`` and ``%``.
    """

    name: ClassVar[str] = "LIST"
    reference: str
    patterns: tuple[str, ...]
    select: frozenset[str] = frozenset()
    returns: frozenset[str] = frozenset()
    status_items: tuple[str, ...] | None = None
    extended: bool = False


@dataclass(frozen=True, slots=True)
class Lsub(Command):
    name: ClassVar[str] = "LSUB"
    reference: str
    pattern: str


@dataclass(frozen=True, slots=True)
class Namespace(Command):
    name: ClassVar[str] = "NAMESPACE"


@dataclass(frozen=True, slots=True)
class Status(Command):
    """``items`` in request order: MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN, DELETED,
    SIZE (RFC 8438), HIGHESTMODSEQ (RFC 7162), APPENDLIMIT (RFC 7889)."""

    name: ClassVar[str] = "STATUS"
    mailbox: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AppendMessage:
    """One message of an APPEND (several with MULTIAPPEND, RFC 3502). Its data is not
    here: it was streamed as ``LiteralChunk`` events (see ``commands.CommandParser``)."""

    flags: tuple[str, ...]
    internal_date: datetime | None
    size: int
    binary: bool = False  # literal8 (RFC 3516 4.4)
    utf8: bool = False  # UTF8 (~{n}) (RFC 6855 4)


@dataclass(frozen=True, slots=True)
class Append(Command):
    """The end of an APPEND: all message literals have been streamed and the command
    line is complete and valid; the server may now commit."""

    name: ClassVar[str] = "APPEND"
    mailbox: str
    messages: tuple[AppendMessage, ...]


@dataclass(frozen=True, slots=True)
class Idle(Command):
    """RFC 2177. The server answers "+ idling" and calls ``parser.expect_done(tag)``."""

    name: ClassVar[str] = "IDLE"


@dataclass(frozen=True, slots=True)
class GetQuota(Command):
    name: ClassVar[str] = "GETQUOTA"  # RFC 9208 4.2
    root: str


@dataclass(frozen=True, slots=True)
class GetQuotaRoot(Command):
    name: ClassVar[str] = "GETQUOTAROOT"  # RFC 9208 4.3
    mailbox: str


# -- selected (RFC 9051 6.4) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check(Command):
    name: ClassVar[str] = "CHECK"


@dataclass(frozen=True, slots=True)
class Close(Command):
    name: ClassVar[str] = "CLOSE"


@dataclass(frozen=True, slots=True)
class Unselect(Command):
    name: ClassVar[str] = "UNSELECT"


@dataclass(frozen=True, slots=True)
class Expunge(Command):
    name: ClassVar[str] = "EXPUNGE"


@dataclass(frozen=True, slots=True)
class UidExpunge(Command):
    name: ClassVar[str] = "UID EXPUNGE"  # RFC 4315 2.1
    uids: SequenceSet


@dataclass(frozen=True, slots=True)
class Search(Command):
    """``returns`` None is a plain SEARCH; a tuple (MIN MAX ALL COUNT SAVE) asks for
    ESEARCH (RFC 4731; an empty RETURN () is given as ("ALL",))."""

    name: ClassVar[str] = "SEARCH"
    key: SearchKey
    charset: str | None = None
    returns: tuple[str, ...] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Fetch(Command):
    """``changedsince``/``vanished``: RFC 7162 3.1.4 and 3.2.6 (vanished needs UID and
    CHANGEDSINCE). Macros are expanded into ``items``."""

    name: ClassVar[str] = "FETCH"
    sequence: SequenceSet
    items: tuple[FetchItem, ...]
    changedsince: int | None = None
    vanished: bool = False
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Store(Command):
    name: ClassVar[str] = "STORE"
    sequence: SequenceSet
    mode: StoreMode
    flags: tuple[str, ...]
    silent: bool = False
    unchangedsince: int | None = None  # RFC 7162 3.1.3
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Copy(Command):
    name: ClassVar[str] = "COPY"
    sequence: SequenceSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Move(Command):
    name: ClassVar[str] = "MOVE"  # RFC 6851
    sequence: SequenceSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True, slots=True)
class SortCriterion:
    key: str  # ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class Sort(Command):
    name: ClassVar[str] = "SORT"  # RFC 5256 3
    criteria: tuple[SortCriterion, ...]
    charset: str
    key: SearchKey
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Thread(Command):
    name: ClassVar[str] = "THREAD"  # RFC 5256 3
    algorithm: str  # ORDEREDSUBJECT or REFERENCES
    charset: str
    key: SearchKey
    uid: bool = False


COMMAND_TYPES: tuple[type[Command], ...] = (
    Capability, Noop, Logout, Id, Starttls, Authenticate, Login, Enable, Select, Examine,
    Create, Delete, Rename, Subscribe, Unsubscribe, List, Lsub, Namespace, Status, Append,
    Idle, GetQuota, GetQuotaRoot, Check, Close, Unselect, Expunge, UidExpunge, Search,
    Fetch, Store, Copy, Move, Sort, Thread,
)  # fmt: skip
