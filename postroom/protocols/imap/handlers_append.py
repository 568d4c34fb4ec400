"""APPEND and MULTIAPPEND, streamed (RFC 9051 6.3.12, RFC 3502, RFC 4315 APPENDUID,
RFC 7889 APPENDLIMIT, RFC 3516 literal8, RFC 6855 UTF8).

The parser pauses at each message literal (``AppendLiteral``): the mailbox and quota
are checked *before* the client is told to send (RFC 9051 6.3.12: a NO with TRYCREATE
or OVERQUOTA instead of the continuation), then the data arrives as ``LiteralChunk``
events and goes straight into a blob file (``MailStore.new_writer``). The closing
``Append`` command commits through ``MailStore.append``, the one write path.

Invariants:
- Nothing of a literal is held in memory beyond one chunk; a refused literal is never
  read into a file (the parser discards it).
- APPEND OK is sent only after the store committed (DESIGN 5). MULTIAPPEND is all or
  nothing: when a later message fails, the ones already stored are removed again.
- Every writer is finished or aborted: on error, on a BAD for the tag, and on close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.errors import NotFound, PostroomError

from . import commands as c
from . import responses as r
from .errors import CommandFailed
from .states import State

if TYPE_CHECKING:
    from .session import Session

__all__ = ["begin_message", "handle_append", "write_chunk"]


async def begin_message(session: Session, event: c.AppendLiteral) -> None:
    """A message literal is announced: refuse it, or open a file and accept it."""
    from .session import AppendUpload

    if session.state not in (State.AUTHENTICATED, State.SELECTED):
        session.parser.reject_literal()
        session.bad_commands += 1
        await session.send(r.bad(event.tag, "APPEND not allowed now"))
        return
    if event.index == 0:
        if session.upload is not None:
            session.upload.abort()
        session.upload = None
        refusal = await _refusal(session, event)
        if refusal is not None:
            session.parser.reject_literal()
            await session.send(refusal)
            return
        session.upload = AppendUpload(event.tag, event.mailbox)
    upload = session.upload
    if upload is None or upload.tag != event.tag:
        session.parser.reject_literal()
        await session.send(r.no(event.tag, "APPEND failed"))
        return
    upload.writers.append(session.env.mail.new_writer())
    if session.parser.accept_literal():
        await session.send(r.continuation("Ready for message data"))


async def _refusal(session: Session, event: c.AppendLiteral) -> bytes | None:
    """The NO to send instead of "+", if the message cannot be stored."""
    try:
        await session.env.mail.get_folder(session.account_id, event.mailbox)
    except NotFound:
        return r.no(event.tag, "No such mailbox", r.Code.TRYCREATE)  # RFC 9051 6.3.12
    except PostroomError as exc:
        from .errors import reply_for

        return reply_for(event.tag, exc)
    account = await session.env.accounts.get_by_id(session.account_id)
    if account.usage + event.message.size > account.quota:
        return r.no(event.tag, "Mailbox is over quota", r.Code.OVERQUOTA)  # RFC 9208 4.3
    return None


def write_chunk(session: Session, event: c.LiteralChunk) -> None:
    """Message data: into the current blob file (errors are kept for the commit)."""
    upload = session.upload
    if upload is None or upload.tag != event.tag or upload.error is not None:
        return
    try:
        upload.writers[-1].write(event.data)
    except PostroomError as exc:
        upload.error = exc
        upload.abort()


async def handle_append(session: Session, cmd: c.Append) -> bytes:
    """Authenticated or selected: every literal has arrived; commit them."""
    upload, session.upload = session.upload, None
    if upload is None or upload.tag != cmd.tag or len(upload.writers) != len(cmd.messages):
        if upload is not None:
            upload.abort()
        raise CommandFailed("APPEND failed")
    if upload.error is not None:
        raise upload.error
    mail = session.env.mail
    stored: list[int] = []
    uidvalidity = 0
    try:
        for message, writer in zip(cmd.messages, upload.writers, strict=True):
            flags = [f for f in message.flags if f != "\\Recent"]
            result = await mail.append(session.account_id, cmd.mailbox, writer, flags,
                                       message.internal_date)
            stored.append(result.uid)
            uidvalidity = result.uidvalidity
    except PostroomError:
        upload.abort()
        await _undo(session, cmd.mailbox, stored)
        raise
    return r.ok(cmd.tag, "APPEND completed", r.append_uid(uidvalidity, stored))


async def _undo(session: Session, mailbox: str, uids: list[int]) -> None:
    """RFC 3502 6.3.11: a failed MULTIAPPEND leaves the mailbox as it was."""
    if not uids:
        return
    mail = session.env.mail
    folder = await mail.get_folder(session.account_id, mailbox)
    await mail.delete_messages(session.account_id, folder.id, uids)
