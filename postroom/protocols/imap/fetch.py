"""FETCH and UID FETCH (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162
CHANGEDSINCE/VANISHED/MODSEQ).

Messages are handled in batches: one store read of rows (and, when needed, of summary
members) per batch, then the blob of each message if a body section is asked for, then
one ``* n FETCH`` response each, written before the next batch is read.

Invariants:
- Responses are written only after the store reads of their batch have returned: never
  while a transaction is open.
- A non-PEEK body section on a read-write mailbox sets ``\\Seen`` through the one write
  path (``MailStore.set_flags``) before the data is sent, and that message's FLAGS are
  then part of the response (RFC 9051 6.4.5).
- Messages expunged by another session but not yet reported keep their numbers and are
  left out of the responses (RFC 9051 7.4.1 forbids renumbering during FETCH).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from postroom.errors import Invalid
from postroom.mail.headers import read_header_block
from postroom.mail.mime import Part
from postroom.store.imapquery import read_messages, summary_members
from postroom.store.records import MessageRow

from . import commands as c
from . import responses as r
from .bodystructure import body_value, envelope_value, structure_of
from .errors import BadArguments, CommandFailed
from .fetch_items import BinarySize, BodySection, FetchAttr, FetchItem
from .sections import UnknownEncoding, binary_bytes, partial, section_bytes

if TYPE_CHECKING:
    from .selected import SelectedMailbox
    from .session import Session

__all__ = ["handle_fetch"]

_BATCH = 200
_STRUCTURE_ATTRS = frozenset({"BODY", "BODYSTRUCTURE"})
_RAW_ATTRS = frozenset({"RFC822", "RFC822.HEADER", "RFC822.TEXT"})
_SEEN_ATTRS = frozenset({"RFC822", "RFC822.TEXT"})  # RFC 9051 6.4.5: these set \Seen
_UID = FetchAttr("UID")
_FLAGS = FetchAttr("FLAGS")
_MODSEQ = FetchAttr("MODSEQ")


@dataclass(frozen=True)
class _Plan:
    """What the items of one FETCH need from the store."""

    items: tuple[FetchItem, ...]
    members: tuple[str, ...]  # summary members to read
    raw: bool  # the message bytes
    sets_seen: bool

    @classmethod
    def of(cls, items: tuple[FetchItem, ...], readonly: bool) -> _Plan:
        members: set[str] = set()
        raw = sets_seen = False
        for item in items:
            if isinstance(item, FetchAttr):
                if item.name == "ENVELOPE":
                    members.add("envelope")
                if item.name in _STRUCTURE_ATTRS:
                    members.add("structure")
                raw = raw or item.name in _RAW_ATTRS
                sets_seen = sets_seen or item.name in _SEEN_ATTRS
                continue
            raw = True
            if item.part or isinstance(item, BinarySize) or item.text == "MIME":
                members.add("structure")  # offsets of the parts; the top level is cheap
            sets_seen = sets_seen or (isinstance(item, BodySection) and not item.peek)
        return cls(items, tuple(sorted(members)), raw, sets_seen and not readonly)


def _items(session: Session, cmd: c.Fetch) -> tuple[FetchItem, ...]:
    items = list(cmd.items)
    if cmd.uid and _UID not in items:
        items.insert(0, _UID)  # RFC 9051 6.4.9: UID FETCH always answers with UID
    if cmd.changedsince is not None or _MODSEQ in items:
        session.condstore = True  # RFC 7162 3.1: CONDSTORE-enabling
    if _MODSEQ not in items and (cmd.changedsince is not None
                                 or (session.condstore and _FLAGS in items)):
        items.append(_MODSEQ)  # RFC 7162 3.1.4.1; with FLAGS once CONDSTORE is on
    return tuple(items)


async def handle_fetch(session: Session, cmd: c.Fetch) -> bytes:
    """Selected. FETCH and UID FETCH."""
    view = session.view
    try:
        uids = view.resolve(cmd.sequence, uid=cmd.uid)
    except Invalid as exc:
        raise BadArguments(exc.message) from None
    if cmd.vanished and "QRESYNC" not in session.enabled:
        raise BadArguments("Enable QRESYNC first")  # RFC 7162 3.2.6
    plan = _Plan.of(_items(session, cmd), view.readonly)
    if cmd.vanished and cmd.changedsince is not None:
        await _send_vanished(session, view, cmd)
    for start in range(0, len(uids), _BATCH):
        await _fetch_batch(session, view, plan, uids[start : start + _BATCH], cmd.changedsince)
    return r.ok(cmd.tag, "FETCH completed")


async def _send_vanished(session: Session, view: SelectedMailbox, cmd: c.Fetch) -> None:
    """RFC 7162 3.2.6: UID FETCH (CHANGEDSINCE m VANISHED) reports expunged UIDs too."""
    assert cmd.changedsince is not None
    changes = await session.env.mail.changes_since(session.account_id, view.folder_id,
                                                   cmd.changedsince)
    known = sorted(set(changes.vanished) | set(view.uids))
    gone = set(changes.vanished)
    await session.send(r.vanished([u for u in cmd.sequence.select(known) if u in gone],
                                  earlier=True))


async def _fetch_batch(session: Session, view: SelectedMailbox, plan: _Plan,
                       uids: list[int], changedsince: int | None) -> None:
    mail, account_id = session.env.mail, session.account_id
    rows = await mail.messages(account_id, view.folder_id, uids)
    if changedsince is not None:
        rows = [row for row in rows if row.modseq > changedsince]
    seen_now: set[int] = set()
    if plan.sets_seen:
        rows, seen_now = await _mark_seen(session, view, rows)
    summaries = {}
    if plan.members and rows:
        summaries = await summary_members(mail, account_id, view.folder_id,
                                          [row.uid for row in rows], plan.members)
    told: list[MessageRow] = []
    rows = [row for row in rows if view.seq_of(row.uid) is not None and row.uid not in view.gone]
    raws = await read_messages(mail, rows) if plan.raw else [b""] * len(rows)
    for row, raw in zip(rows, raws, strict=True):
        seq = view.seq_of(row.uid)
        assert seq is not None
        items = _values(session, view, plan, row, raw, summaries.get(row.uid, {}))
        if row.uid in seen_now and _FLAGS not in plan.items:
            items.append(("FLAGS", r.flag_list(_flags(session, view, row))))
        if _FLAGS in plan.items or row.uid in seen_now:
            told.append(row)
        await session.send(r.fetch(seq, items, utf8=session.utf8))
    view.note_flags(told)


async def _mark_seen(session: Session, view: SelectedMailbox,
                     rows: list[MessageRow]) -> tuple[list[MessageRow], set[int]]:
    unseen = [row.uid for row in rows if "\\Seen" not in row.flags]
    if not unseen:
        return rows, set()
    update = await session.env.mail.set_flags(session.account_id, view.folder_id, unseen,
                                              "add", ["\\Seen"])
    session.own_modseqs.add(update.modseq)
    changed = {row.uid: row for row in update.changed}
    return [changed.get(row.uid, row) for row in rows], set(changed)


def _flags(session: Session, view: SelectedMailbox, row: MessageRow) -> list[str]:
    flags = sorted(row.flags, key=lambda f: (not f.startswith("\\"), f.lower()))
    if row.uid in view.recent and not session.rev2:
        flags.append("\\Recent")
    return flags


def _values(session: Session, view: SelectedMailbox, plan: _Plan, row: MessageRow,
            raw: bytes, summary: dict[str, object]) -> list[tuple[str, r.Value]]:
    out: list[tuple[str, r.Value]] = []
    data = summary.get("structure")
    budget = session.env.mail.mime_limits.max_header_bytes
    root = structure_of(data) if isinstance(data, dict) else _whole(raw, budget)
    for item in plan.items:
        label = r.fetch_label(item)
        if isinstance(item, FetchAttr):
            out.append((label, _attr(session, view, item.name, row, raw, summary, root)))
        else:
            out.append((label, _section(item, raw, root)))
    return out


def _attr(session: Session, view: SelectedMailbox, name: str, row: MessageRow, raw: bytes,
          summary: dict[str, object], root: Part) -> r.Value:
    if name == "UID":
        return row.uid
    if name == "FLAGS":
        return r.flag_list(_flags(session, view, row))
    if name == "INTERNALDATE":
        return row.internal_date
    if name == "RFC822.SIZE":
        return row.size
    if name == "MODSEQ":
        return [row.modseq]  # RFC 7162 3.1.4.1
    if name == "ENVELOPE":
        envelope = summary.get("envelope")
        return envelope_value(envelope if isinstance(envelope, dict) else {}, utf8=session.utf8)
    if name in ("BODY", "BODYSTRUCTURE"):
        return body_value(root, extended=name == "BODYSTRUCTURE", utf8=session.utf8)
    if name == "RFC822.HEADER":  # RFC 9051 6.4.5: BODY.PEEK[HEADER]
        return section_bytes(raw, root, BodySection(text="HEADER"))
    if name == "RFC822.TEXT":  # BODY[TEXT]
        return section_bytes(raw, root, BodySection(text="TEXT"))
    return raw  # RFC822: BODY[]


def _section(item: BodySection | BinarySize, raw: bytes, root: Part) -> r.Value:
    try:
        if isinstance(item, BinarySize):
            data = binary_bytes(raw, root, item.part)
            return None if data is None else len(data)
        if item.binary:
            data = partial(binary_bytes(raw, root, item.part), item)
            if data is not None and b"\x00" in data:
                return r.Literal8(data)  # RFC 3516 4.3
            return data
    except UnknownEncoding:
        raise CommandFailed("Unknown Content-Transfer-Encoding", r.Code.UNKNOWN_CTE) from None
    return partial(section_bytes(raw, root, item), item)


def _whole(raw: bytes, budget: int) -> Part:
    """The top level only, for sections that need no part offsets (BODY[], HEADER, TEXT,
    HEADER.FIELDS): the header ends where the MIME parser ends it (``read_header_block``
    with its byte budget), so these sections equal what the full tree would give."""
    block = read_header_block(raw, 0, len(raw), budget)
    return Part("", "text", "plain", (), 0, block.body_start, len(raw), 0)
