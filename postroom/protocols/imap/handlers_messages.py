"""Changing the messages of the selected mailbox: STORE, EXPUNGE, UID EXPUNGE, COPY, MOVE
and their UID forms (RFC 9051 6.4.3, 6.4.6-6.4.9; RFC 4315 UIDPLUS; RFC 6851 MOVE;
RFC 7162 3.1.3 UNCHANGEDSINCE).

Every change goes through the store's one write path (``MailStore``); the store
publishes it to the change feed, which is how the other sessions learn about it.

Invariants:
- A read-only (EXAMINEd) mailbox refuses every change here.
- This session's own expunges are reported with ``push_updates`` right away (EXPUNGE
  or VANISHED), after the COPYUID of a MOVE (RFC 6851 4.3); the sequence numbers of
  the view change only then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.errors import Invalid, NotFound

from . import commands as c
from . import responses as r
from .errors import BadArguments, CommandFailed
from .sequences import SequenceSet

if TYPE_CHECKING:
    from .selected import SelectedMailbox
    from .session import Session

__all__ = ["handle_copy", "handle_expunge", "handle_move", "handle_store"]


def _writable(session: Session) -> SelectedMailbox:
    view = session.view
    if view.readonly:
        raise CommandFailed("The mailbox is read-only (EXAMINE)", r.Code.CANNOT)
    return view


def _uids(view: SelectedMailbox, sequence: SequenceSet, uid: bool) -> list[int]:
    try:
        return view.resolve(sequence, uid=uid)
    except Invalid as exc:
        raise BadArguments(exc.message) from None  # RFC 9051 6.4.x: bad message number


async def handle_store(session: Session, cmd: c.Store) -> bytes:
    """Selected (RFC 9051 6.4.6)."""
    view = _writable(session)
    uids = _uids(view, cmd.sequence, cmd.uid)
    if cmd.unchangedsince is not None:
        session.condstore = True  # RFC 7162 3.1: CONDSTORE-enabling
    flags = [flag for flag in cmd.flags if flag != "\\Recent"]  # session state, not stored
    update = await session.env.mail.set_flags(session.account_id, view.folder_id, uids,
                                              cmd.mode.value, flags, cmd.unchangedsince)
    session.own_modseqs.add(update.modseq)
    view.note_flags(update.changed)
    options = session.options
    changed = {row.uid: row for row in update.changed}
    refused = set(update.modified)
    for uid in uids:
        seq = view.seq_of(uid)
        if seq is None or uid in refused or uid in view.gone:
            continue
        row = changed.get(uid)
        if session.condstore:  # RFC 7162 3.1.3: MODSEQ for each change, even .SILENT
            if row is None:
                continue
            items: list[tuple[str, r.Value]] = []
            if not cmd.silent:
                items.append(("FLAGS", r.flag_list(view.flags_of(uid, options))))
            if cmd.uid or options.qresync:
                items.append(("UID", uid))
            items.append(("MODSEQ", [row.modseq]))
            await session.send(r.fetch(seq, items))
        elif not cmd.silent:
            await session.send(r.fetch(seq, _flag_items(view, uid, cmd.uid, options)))
    if refused:  # RFC 7162 3.1.3: [MODIFIED] names what UNCHANGEDSINCE protected
        numbers = sorted(refused) if cmd.uid else [
            seq for seq in (view.seq_of(u) for u in refused) if seq is not None]
        return r.ok(cmd.tag, "Conditional STORE failed for some messages", r.modified(numbers))
    return r.ok(cmd.tag, "STORE completed")


def _flag_items(view: SelectedMailbox, uid: int, with_uid: bool,
                options: object) -> list[tuple[str, r.Value]]:
    from .selected import ViewOptions

    assert isinstance(options, ViewOptions)
    items: list[tuple[str, r.Value]] = [("FLAGS", r.flag_list(view.flags_of(uid, options)))]
    if with_uid or options.qresync:
        items.append(("UID", uid))
    return items


async def handle_expunge(session: Session, cmd: c.Expunge | c.UidExpunge) -> bytes:
    """Selected. EXPUNGE (RFC 9051 6.4.3) and UID EXPUNGE (RFC 4315 2.1)."""
    view = _writable(session)
    uids = _uids(view, cmd.uids, True) if isinstance(cmd, c.UidExpunge) else None
    if uids == []:
        return r.ok(cmd.tag, "EXPUNGE completed")
    gone = await session.env.mail.expunge(session.account_id, view.folder_id, uids)
    view.note_expunged(gone)
    await session.push_updates(expunges=True)
    return r.ok(cmd.tag, "EXPUNGE completed")


async def handle_copy(session: Session, cmd: c.Copy) -> bytes:
    """Selected (RFC 9051 6.4.7; COPYUID RFC 4315 3)."""
    view = session.view
    uids = _uids(view, cmd.sequence, cmd.uid)
    if not uids:
        return r.ok(cmd.tag, "COPY completed (no messages)")
    try:
        result = await session.env.mail.copy(session.account_id, view.folder_id, uids,
                                             cmd.mailbox)
    except NotFound:
        raise CommandFailed("No such mailbox", r.Code.TRYCREATE) from None  # RFC 9051 6.4.7
    code = r.copy_uid(result.uidvalidity, result.source_uids, result.dest_uids)
    return r.ok(cmd.tag, "COPY completed", code if result.dest_uids else None)


async def handle_move(session: Session, cmd: c.Move) -> bytes:
    """Selected (RFC 6851 3.1, 4.3): COPYUID untagged, then the expunges, then OK."""
    view = _writable(session)
    uids = _uids(view, cmd.sequence, cmd.uid)
    if not uids:
        return r.ok(cmd.tag, "MOVE completed (no messages)")
    try:
        result = await session.env.mail.move(session.account_id, view.folder_id, uids,
                                             cmd.mailbox)
    except NotFound:
        raise CommandFailed("No such mailbox", r.Code.TRYCREATE) from None
    if result.dest_uids:
        code = r.copy_uid(result.uidvalidity, result.source_uids, result.dest_uids)
        await session.send(r.untagged(r.Status.OK, "Moved", code))
    view.note_expunged(result.source_uids)
    await session.push_updates(expunges=True)
    return r.ok(cmd.tag, "MOVE completed")
