"""Entering and leaving the selected state: SELECT, EXAMINE (with CONDSTORE/QRESYNC),
CHECK, CLOSE, UNSELECT (RFC 9051 6.3.2, 6.3.3, 6.4.1, 6.4.2; RFC 3691; RFC 7162 3.2.5).

Invariants:
- A SELECT that fails leaves the session in the authenticated state (RFC 9051 6.3.2):
  the old view is dropped first, with ``* OK [CLOSED]`` when QRESYNC or IMAP4rev2 is on.
- The new view is read from the store after the feed's queue was emptied, so a change
  that happens during the SELECT marks the view dirty and reaches the client later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import commands as c
from . import responses as r
from .selected import SelectedMailbox

if TYPE_CHECKING:
    from .session import Session

__all__ = ["handle_check", "handle_close", "handle_select", "handle_unselect"]


async def handle_select(session: Session, cmd: c.SelectBase) -> bytes:
    """Authenticated or selected. SELECT and EXAMINE (``cmd.readonly``)."""
    if session.selected is not None:
        session.select(None)
        if "QRESYNC" in session.enabled or session.rev2:  # RFC 7162 3.2.11, RFC 9051 7.1
            await session.send(r.untagged(r.Status.OK, "Previous mailbox closed", r.Code.CLOSED))
    else:
        session.select(None)
    if cmd.qresync is not None and "QRESYNC" not in session.enabled:
        return r.bad(cmd.tag, "Enable QRESYNC first")  # RFC 7162 3.2.5
    if cmd.condstore:
        session.condstore = True  # RFC 7162 3.1.8
    mail = session.env.mail
    folder = await mail.get_folder(session.account_id, cmd.mailbox)
    rows = await mail.messages(session.account_id, folder.id)
    view = SelectedMailbox.open(folder, rows, readonly=cmd.readonly)
    await session.send(_select_data(session, view, [row.flags for row in rows]))
    if cmd.qresync is not None and cmd.qresync.uidvalidity == view.uidvalidity:
        await _resync(session, view, cmd.qresync)
    session.select(view)
    code = r.Code.READ_ONLY if view.readonly else r.Code.READ_WRITE
    return r.ok(cmd.tag, f"{cmd.name} completed", code)


def _select_data(session: Session, view: SelectedMailbox, flags: list[frozenset[str]]) -> bytes:
    """RFC 9051 6.3.2 / RFC 3501 6.3.1: the untagged responses of a SELECT."""
    out = [r.flags(view.flag_names())]
    if not view.readonly:
        out.append(r.untagged(r.Status.OK, "Flags permitted",
                              r.permanent_flags(view.permanent_flags())))
    else:
        out.append(r.untagged(r.Status.OK, "Read-only mailbox", r.permanent_flags([])))
    out.append(r.exists(view.exists))
    if not session.rev2:
        out.append(r.recent(0))  # RFC 3501 7.3.2; \Recent goes to new arrivals only
        first_unseen = next((i for i, f in enumerate(flags, 1) if "\\Seen" not in f), None)
        if first_unseen is not None:
            out.append(r.untagged(r.Status.OK, "First unseen", r.unseen(first_unseen)))
    out.append(r.untagged(r.Status.OK, "UIDs valid", r.uid_validity(view.uidvalidity)))
    out.append(r.untagged(r.Status.OK, "Predicted next UID", r.uid_next(view.uidnext)))
    # RFC 7162 3.1.2.1: HIGHESTMODSEQ on every SELECT of a mailbox with MODSEQs.
    out.append(r.untagged(r.Status.OK, "Highest", r.highest_modseq(view.modseq)))
    if session.rev2:  # RFC 9051 6.3.2: the mailbox's LIST response
        out.append(r.list_mailbox([], "/", view.name, utf8=session.utf8))
    return b"".join(out)


async def _resync(session: Session, view: SelectedMailbox, params: c.QresyncParams) -> None:
    """RFC 7162 3.2.5.1: VANISHED (EARLIER) and FETCH for what changed since ``modseq``."""
    changes = await session.env.mail.changes_since(session.account_id, view.folder_id,
                                                   params.modseq)
    gone = list(changes.vanished)
    if params.known_uids is not None:
        gone = params.known_uids.select(sorted(gone))
    await session.send(r.vanished(gone, earlier=True))
    options = session.options
    for row in changes.changed:
        seq = view.seq_of(row.uid)
        if seq is None:
            continue  # arrived after the view was read: EXISTS will tell
        items: list[tuple[str, r.Value]] = [
            ("UID", row.uid),
            ("FLAGS", r.flag_list(view.flags_of(row.uid, options))),
            ("MODSEQ", [row.modseq]),
        ]
        await session.send(r.fetch(seq, items))


async def handle_check(session: Session, cmd: c.Check) -> bytes:
    """Selected (RFC 3501 6.4.1): a checkpoint; here the same as NOOP."""
    await session.push_updates(expunges=True, force=True)
    return r.ok(cmd.tag, "CHECK completed")


async def handle_close(session: Session, cmd: c.Close) -> bytes:
    """Selected (RFC 9051 6.4.1): expunge silently unless read-only, then deselect."""
    view = session.view
    if not view.readonly:
        await session.env.mail.expunge(session.account_id, view.folder_id)
    session.select(None)
    return r.ok(cmd.tag, "CLOSE completed")


async def handle_unselect(session: Session, cmd: c.Unselect) -> bytes:
    """Selected (RFC 3691 2): deselect without expunging."""
    session.select(None)
    return r.ok(cmd.tag, "UNSELECT completed")
