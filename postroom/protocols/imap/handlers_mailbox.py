"""Mailbox commands of the authenticated state: CREATE, DELETE, RENAME, SUBSCRIBE,
UNSUBSCRIBE, NAMESPACE, STATUS, GETQUOTA, GETQUOTAROOT (RFC 9051 6.3, RFC 2342,
RFC 8438, RFC 9208). LIST and LSUB are in ``handlers_list``.

Mailbox rules (INBOX semantics, parents created on demand, names) live in the store
(``MailStore``); handlers only translate. The one quota root is "" (the account).

Invariants: names arrive decoded (modified UTF-7 or UTF-8) with INBOX normalised by the
parser; the store refuses what it cannot hold and the dispatcher maps its errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.store.records import DELIMITER, FolderInfo, FolderStatus, SpecialUse

from . import commands as c
from . import responses as r
from .errors import BadArguments, CommandFailed

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "handle_create",
    "handle_delete",
    "handle_getquota",
    "handle_getquotaroot",
    "handle_list",
    "handle_lsub",
    "handle_namespace",
    "handle_rename",
    "handle_status",
    "handle_subscribe",
    "handle_unsubscribe",
    "status_response",
]

QUOTA_ROOT = ""  # RFC 9208 3.1: one root per account
_USES = {use.value: use for use in SpecialUse if use is not SpecialUse.INBOX}


async def handle_create(session: Session, cmd: c.Create) -> bytes:
    """Authenticated (RFC 9051 6.3.4; CREATE-SPECIAL-USE RFC 6154 3)."""
    name = cmd.mailbox.rstrip(DELIMITER)  # a trailing delimiter only announces children
    if not name:
        raise BadArguments("Empty mailbox name")
    use = None
    if cmd.special_use:
        if len(cmd.special_use) > 1 or cmd.special_use[0] not in _USES:
            raise CommandFailed("Unsupported special-use attribute", r.Code.CANNOT)
        use = _USES[cmd.special_use[0]]
    await session.env.mail.create_folder(session.account_id, name, use)
    return r.ok(cmd.tag, "CREATE completed")


async def handle_delete(session: Session, cmd: c.Delete) -> bytes:
    """Authenticated (RFC 9051 6.3.5). Deleting the selected mailbox deselects it."""
    await session.env.mail.delete_folder(session.account_id, cmd.mailbox)
    if session.selected is not None and session.selected.name == cmd.mailbox:
        session.select(None)
    return r.ok(cmd.tag, "DELETE completed")


async def handle_rename(session: Session, cmd: c.Rename) -> bytes:
    """Authenticated (RFC 9051 6.3.6): children move along; INBOX moves its messages."""
    await session.env.mail.rename_folder(session.account_id, cmd.mailbox, cmd.new_name)
    view = session.selected
    moved = view is not None and (
        view.name == cmd.mailbox or view.name.startswith(cmd.mailbox + DELIMITER))
    if view is not None and moved and cmd.mailbox != "INBOX":
        view.name = cmd.new_name + view.name[len(cmd.mailbox):]
    return r.ok(cmd.tag, "RENAME completed")


async def handle_subscribe(session: Session, cmd: c.Subscribe) -> bytes:
    """Authenticated (RFC 9051 6.3.7)."""
    await session.env.mail.subscribe(session.account_id, cmd.mailbox, True)
    return r.ok(cmd.tag, "SUBSCRIBE completed")


async def handle_unsubscribe(session: Session, cmd: c.Unsubscribe) -> bytes:
    """Authenticated (RFC 9051 6.3.8)."""
    await session.env.mail.subscribe(session.account_id, cmd.mailbox, False)
    return r.ok(cmd.tag, "UNSUBSCRIBE completed")


async def handle_namespace(session: Session, cmd: c.Namespace) -> bytes:
    """Authenticated (RFC 2342 5, RFC 9051 6.3.10): one personal namespace."""
    await session.send(r.namespace([("", DELIMITER)], None, None, utf8=session.utf8))
    return r.ok(cmd.tag, "NAMESPACE completed")


def status_response(session: Session, status: FolderStatus, items: tuple[str, ...]) -> bytes:
    """``* STATUS name (...)`` for STATUS and LIST-STATUS (RFC 9051 7.3.3, RFC 5819)."""
    folder: FolderInfo = status.folder
    values = {
        "MESSAGES": status.messages,
        "RECENT": 0,  # \Recent goes to the session that sees a message arrive
        "UIDNEXT": folder.uidnext,
        "UIDVALIDITY": folder.uidvalidity,
        "UNSEEN": status.unseen,
        "DELETED": status.deleted,  # RFC 9051 6.3.11
        "SIZE": status.size,  # RFC 8438
        "HIGHESTMODSEQ": folder.highestmodseq,  # RFC 7162 3.1.6
        "APPENDLIMIT": session.env.limits.max_append,  # RFC 7889 4
    }
    if "HIGHESTMODSEQ" in items:
        session.condstore = True  # RFC 7162 3.1: a CONDSTORE-enabling command
    return r.status(folder.name, [(item, values[item]) for item in items], utf8=session.utf8)


async def handle_status(session: Session, cmd: c.Status) -> bytes:
    """Authenticated (RFC 9051 6.3.11)."""
    status = await session.env.mail.folder_status(session.account_id, cmd.mailbox)
    await session.send(status_response(session, status, cmd.items))
    return r.ok(cmd.tag, "STATUS completed")


async def _send_quota(session: Session) -> None:
    account = await session.env.accounts.get_by_id(session.account_id)
    used_kib = (account.usage + 1023) // 1024  # RFC 9208 5.1: STORAGE in units of 1024
    await session.send(r.quota(QUOTA_ROOT, [("STORAGE", used_kib, account.quota // 1024)]))


async def handle_getquota(session: Session, cmd: c.GetQuota) -> bytes:
    """Authenticated (RFC 9208 4.2)."""
    if cmd.root != QUOTA_ROOT:
        raise CommandFailed("No such quota root", r.Code.NONEXISTENT)
    await _send_quota(session)
    return r.ok(cmd.tag, "GETQUOTA completed")


async def handle_getquotaroot(session: Session, cmd: c.GetQuotaRoot) -> bytes:
    """Authenticated (RFC 9208 4.3)."""
    await session.env.mail.get_folder(session.account_id, cmd.mailbox)
    await session.send(r.quotaroot(cmd.mailbox, [QUOTA_ROOT], utf8=session.utf8))
    await _send_quota(session)
    return r.ok(cmd.tag, "GETQUOTAROOT completed")


async def handle_list(session: Session, cmd: c.List) -> bytes:
    from .handlers_list import list_mailboxes

    await list_mailboxes(session, cmd)
    return r.ok(cmd.tag, "LIST completed")


async def handle_lsub(session: Session, cmd: c.Lsub) -> bytes:
    from .handlers_list import list_subscribed

    await list_subscribed(session, cmd)
    return r.ok(cmd.tag, "LSUB completed")
