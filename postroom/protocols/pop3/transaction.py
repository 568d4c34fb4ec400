"""POP3 handlers of the TRANSACTION state: STAT, LIST, RETR, TOP, DELE, NOOP, RSET, UIDL.

Every handler here runs in TRANSACTION only (the dispatcher checks) and works on the
session's `Maildrop`, fixed at login.

Invariants:

- A message number names a message of the list fixed at login; one outside it is
  "no such message", one marked by DELE is "message is deleted" (RFC 1939 5).
- Sizes in STAT, LIST and the RETR status line are the same number
  (`Maildrop.size_of`), and it equals the octets of the RETR body once un-stuffed.
- RETR and TOP bodies are written in chunks of `CHUNK` stored octets with a drain after
  each, so a slow client holds back the session, not the server's memory.
- The status line of RETR or TOP is written only after the message bytes were read: a
  storage failure gives `-ERR [SYS/TEMP]` (RFC 3206 4), never a broken multi-line body;
  and nothing is written after a body but the next command's reply (a failure to set
  \\Seen after RETR is logged, not answered).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from postroom.errors import PostroomError
from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.commands import Dele, List, Noop, Retr, Rset, Stat, Top, Uidl
from postroom.protocols.pop3.dotstuff import encode_message, encode_top
from postroom.protocols.pop3.maildrop import Maildrop

if TYPE_CHECKING:
    from postroom.protocols.pop3.session import Session

log = logging.getLogger("postroom.pop3")

CHUNK = 64 * 1024


def _maildrop(session: Session) -> Maildrop:
    assert session.maildrop is not None, "TRANSACTION state without a maildrop"
    return session.maildrop


def _refusal(maildrop: Maildrop, number: int) -> replies.Reply | None:
    """The reply for a number that names no message to act on (RFC 1939 5)."""
    if not maildrop.exists(number):
        return replies.NO_SUCH_MESSAGE
    if maildrop.is_deleted(number):
        return replies.MESSAGE_DELETED
    return None


async def handle_stat(session: Session, command: Stat) -> None:
    """STAT (RFC 1939 5). TRANSACTION."""
    count, octets = await _maildrop(session).total()
    session.write(replies.stat_ok(count, octets))


async def handle_list(session: Session, command: List) -> None:
    """LIST [msg] (RFC 1939 5). TRANSACTION."""
    maildrop = _maildrop(session)
    if command.message is not None:
        refusal = _refusal(maildrop, command.message)
        if refusal is not None:
            session.write(refusal)
            return
        size = await maildrop.size_of(command.message)
        session.write(replies.list_ok(command.message, size))
        return
    entries = [(n, await maildrop.size_of(n)) for n, _ in maildrop.live()]
    octets = sum(size for _, size in entries)
    session.write(replies.list_all(entries, len(entries), octets))


async def handle_uidl(session: Session, command: Uidl) -> None:
    """UIDL [msg] (RFC 1939 7). TRANSACTION."""
    maildrop = _maildrop(session)
    if command.message is not None:
        refusal = _refusal(maildrop, command.message)
        if refusal is not None:
            session.write(refusal)
            return
        session.write(replies.uidl_ok(command.message, maildrop.uid_of(command.message)))
        return
    session.write(replies.uidl_all((n, maildrop.uid_of(n)) for n, _ in maildrop.live()))


async def handle_retr(session: Session, command: Retr) -> None:
    """RETR msg (RFC 1939 5): the whole message, dot-stuffed; sets \\Seen. TRANSACTION."""
    maildrop = _maildrop(session)
    refusal = _refusal(maildrop, command.message)
    if refusal is not None:
        session.write(refusal)
        return
    data, size = await maildrop.read(command.message)
    session.write(replies.retr_ok(size))
    await _send(session, encode_message(_chunks(data)))
    try:
        await maildrop.mark_seen(command.message)
    except PostroomError:
        # The reply is complete: an -ERR now would answer the client's next command.
        # \Seen stays unset; the message itself was delivered.
        log.warning("RETR: could not set \\Seen", exc_info=True)


async def handle_top(session: Session, command: Top) -> None:
    """TOP msg n (RFC 1939 7): header and n body lines; \\Seen unchanged. TRANSACTION."""
    maildrop = _maildrop(session)
    refusal = _refusal(maildrop, command.message)
    if refusal is not None:
        session.write(refusal)
        return
    data, _ = await maildrop.read(command.message)
    session.write(replies.TOP_OK)
    await _send(session, encode_top(_chunks(data), command.lines))


async def handle_dele(session: Session, command: Dele) -> None:
    """DELE msg (RFC 1939 5): mark only; QUIT removes. TRANSACTION."""
    maildrop = _maildrop(session)
    refusal = _refusal(maildrop, command.message)
    if refusal is not None:
        session.write(refusal)
        return
    maildrop.delete(command.message)
    session.write(replies.DELETED)


async def handle_noop(session: Session, command: Noop) -> None:
    """NOOP (RFC 1939 5). TRANSACTION."""
    session.write(replies.NOOP_OK)


async def handle_rset(session: Session, command: Rset) -> None:
    """RSET (RFC 1939 5): unmark every message marked by DELE. TRANSACTION."""
    _maildrop(session).reset()
    session.write(replies.RESET_OK)


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


async def _send(session: Session, body: Iterator[bytes]) -> None:
    for piece in body:
        session.write(piece)
        await session.drain()
