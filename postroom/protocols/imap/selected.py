"""One session's view of its selected mailbox: sequence numbers, and what to tell the client.

The store is the truth; this view is what the *client* has been told. Message sequence
numbers (RFC 9051 2.3.1.2) are positions in ``uids`` (sorted ascending). They change
only when this view sends EXPUNGE (or VANISHED) responses, so they stay consistent for
the client whatever other sessions do meanwhile.

``refresh`` reads the store's changes since ``modseq`` (RFC 7162 MODSEQ, also used when
CONDSTORE is off) and records them as pending: new messages (EXISTS), expunged ones and
flag changes (FETCH FLAGS). ``updates`` turns what is pending into responses.

Invariants:
- An expunged message keeps its sequence number until an EXPUNGE/VANISHED for it is
  sent; that is never done while a FETCH, STORE or SEARCH is answered (RFC 9051 7.4.1),
  only when ``updates(expunges=True)`` is called.
- EXISTS never decreases except through EXPUNGE responses; UIDs in ``uids`` only grow.
- ``flags`` holds the flags the client was last told (or that it set itself), so a
  refresh sends FETCH FLAGS only for real changes, including other sessions' changes.
- No I/O but the store reads in ``refresh``; responses are returned, never written.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from postroom.store.flags import SYSTEM_FLAGS
from postroom.store.mailboxes import MailStore
from postroom.store.records import FolderInfo, MessageRow

from . import responses as r
from .sequences import SequenceSet

__all__ = ["SYSTEM_FLAG_NAMES", "SelectedMailbox", "ViewOptions"]

SYSTEM_FLAG_NAMES = tuple(SYSTEM_FLAGS)  # \Seen \Answered \Flagged \Deleted \Draft


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the session has enabled, as far as unsolicited responses are concerned."""

    condstore: bool = False  # RFC 7162 3.1: MODSEQ in FETCH responses
    qresync: bool = False  # RFC 7162 3.2.10: VANISHED instead of EXPUNGE; UID in FETCH
    rev2: bool = False  # RFC 9051: no \Recent, no RECENT


@dataclass
class SelectedMailbox:
    folder_id: int
    name: str
    readonly: bool
    uidvalidity: int
    uids: list[int]
    flags: dict[int, frozenset[str]]
    modseq: int  # the store's HIGHESTMODSEQ this view reflects
    uidnext: int  # UIDs at or above this are new to the view
    keywords: set[str] = field(default_factory=set)
    recent: set[int] = field(default_factory=set)
    dirty: bool = False  # the change feed says the store moved on
    gone: set[int] = field(default_factory=set)  # expunged, not yet told
    changed: dict[int, int] = field(default_factory=dict)  # flags changed: uid -> MODSEQ
    told_exists: int = 0
    told_recent: int = 0
    told_keywords: frozenset[str] = frozenset()
    saved: tuple[int, ...] = ()  # RFC 5182 SEARCHRES "$", as UIDs

    @classmethod
    def open(cls, folder: FolderInfo, rows: list[MessageRow], readonly: bool) -> SelectedMailbox:
        view = cls(
            folder_id=folder.id,
            name=folder.name,
            readonly=readonly,
            uidvalidity=folder.uidvalidity,
            uids=[row.uid for row in rows],
            flags={row.uid: row.flags for row in rows},
            modseq=folder.highestmodseq,
            # Rows may be newer than the folder row read just before them.
            uidnext=max(folder.uidnext, rows[-1].uid + 1 if rows else 1),
        )
        for row in rows:
            view.keywords.update(_keywords(row.flags))
        view.told_exists = len(view.uids)
        view.told_keywords = frozenset(view.keywords)
        return view

    # -- numbers ----------------------------------------------------------------------

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        index = bisect.bisect_left(self.uids, uid)
        if index < len(self.uids) and self.uids[index] == uid:
            return index + 1
        return None

    def resolve(self, sequence: SequenceSet, *, uid: bool) -> list[int]:
        """The UIDs a sequence set names, ascending. UID sets ignore numbers that do not
        exist (RFC 9051 6.4.9); message numbers above the count are a client error
        (``Invalid``, turned into BAD by the caller)."""
        if sequence.saved:
            saved = set(self.saved)
            return [u for u in self.uids if u in saved]
        if uid:
            return sequence.select(self.uids)
        sequence.check_sequence_numbers(len(self.uids))
        return [self.uids[n - 1] for n in sequence.expand(len(self.uids))]

    def flag_names(self) -> list[str]:
        """RFC 9051 7.3.5 FLAGS: system flags and the keywords in use."""
        return [*SYSTEM_FLAG_NAMES, *sorted(self.keywords, key=str.lower)]

    def permanent_flags(self) -> list[str]:
        """RFC 9051 7.1: the flags a STORE keeps; ``\\*`` as new keywords are allowed."""
        return [] if self.readonly else [*self.flag_names(), "\\*"]

    def flags_of(self, uid: int, options: ViewOptions) -> list[str]:
        flags = sorted(self.flags.get(uid, frozenset()), key=_flag_order)
        if uid in self.recent and not options.rev2:
            flags.append("\\Recent")  # RFC 3501 2.3.2; removed in RFC 9051
        return flags

    # -- learning about changes ---------------------------------------------------------

    def note_flags(self, rows: Iterable[MessageRow]) -> None:
        """The client was just told these rows' flags (FETCH/STORE responses)."""
        for row in rows:
            if row.uid in self.flags:
                self.flags[row.uid] = row.flags
                self.changed.pop(row.uid, None)
                self.keywords.update(_keywords(row.flags))

    def note_expunged(self, uids: Iterable[int]) -> None:
        """This session expunged these (EXPUNGE, MOVE): they go out with ``updates``."""
        self.gone.update(u for u in uids if u in self.flags)

    async def refresh(self, mail: MailStore, account_id: int) -> None:
        """Read what changed in the store since ``modseq`` and mark it pending."""
        self.dirty = False
        changes = await mail.changes_since(account_id, self.folder_id, self.modseq)
        for row in changes.changed:
            if row.uid >= self.uidnext:
                self.uids.append(row.uid)  # UIDs only grow: the list stays sorted
                self.flags[row.uid] = row.flags
                self.recent.add(row.uid)
                self.keywords.update(_keywords(row.flags))
                self.uidnext = row.uid + 1
            elif row.uid in self.flags and row.flags != self.flags[row.uid]:
                self.flags[row.uid] = row.flags
                self.keywords.update(_keywords(row.flags))
                self.changed[row.uid] = row.modseq
        self.gone.update(u for u in changes.vanished if u in self.flags)
        self.uidnext = max(self.uidnext, changes.uidnext)
        self.modseq = max(self.modseq, changes.highestmodseq)

    # -- telling the client ----------------------------------------------------------

    def updates(self, options: ViewOptions, *, expunges: bool) -> bytes:
        """The untagged responses for everything pending (RFC 9051 7.4.1, 5.2)."""
        out: list[bytes] = []
        if expunges and self.gone:
            out.append(self._expunge_responses(options))
        if self.keywords != self.told_keywords:
            self.told_keywords = frozenset(self.keywords)
            out.append(r.flags(self.flag_names()))  # RFC 9051 7.3.5: new keywords
            if not self.readonly:
                out.append(r.untagged(r.Status.OK, "Flags permitted",
                                      r.permanent_flags(self.permanent_flags())))
        if self.exists != self.told_exists:
            self.told_exists = self.exists
            out.append(r.exists(self.exists))
        if not options.rev2 and len(self.recent) != self.told_recent:
            self.told_recent = len(self.recent)
            out.append(r.recent(self.told_recent))
        for uid in sorted(set(self.changed) - self.gone):
            out.append(self.flag_fetch(uid, options, self.changed.pop(uid)))
        return b"".join(out)

    def flag_fetch(self, uid: int, options: ViewOptions, modseq: int | None) -> bytes:
        """``* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])`` for an unsolicited change."""
        seq = self.seq_of(uid)
        assert seq is not None
        items: list[tuple[str, r.Value]] = [("FLAGS", r.flag_list(self.flags_of(uid, options)))]
        if options.qresync:
            items.append(("UID", uid))  # RFC 7162 3.2.4
        if options.condstore and modseq is not None:
            items.append(("MODSEQ", [modseq]))
        return r.fetch(seq, items)

    def _expunge_responses(self, options: ViewOptions) -> bytes:
        gone = sorted(self.gone)
        self.gone.clear()
        for uid in gone:
            self.changed.pop(uid, None)
        out: list[bytes] = []
        if options.qresync:
            out.append(r.vanished(gone))  # RFC 7162 3.2.10
        for uid in reversed(gone):  # highest first: lower numbers stay valid
            seq = self.seq_of(uid)
            if seq is None:
                continue
            del self.uids[seq - 1]
            del self.flags[uid]
            self.recent.discard(uid)
            if not options.qresync:
                out.append(r.expunge(seq))
        self.told_exists = self.exists
        self.told_recent = min(self.told_recent, len(self.recent))
        return b"".join(out)


def _keywords(flags: Iterable[str]) -> set[str]:
    return {f for f in flags if not f.startswith("\\")}


def _flag_order(flag: str) -> tuple[int, str]:
    return (0 if flag.startswith("\\") else 1, flag.lower())
