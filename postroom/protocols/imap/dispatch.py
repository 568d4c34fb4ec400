"""The dispatcher: state check, handler call, pending updates, error mapping (STYLE habit 2).

Every handler has the signature ``async def handle_<verb>(session, command) -> bytes |
None``: it writes its untagged responses with ``session.send`` and returns the tagged
completion, or None when it finishes the command later itself (IDLE, AUTHENTICATE
waiting for a SASL response). Handlers never check the session state: ``states.ALLOWED``
is consulted here, once.

Before a tagged completion the dispatcher sends what other sessions changed
(RFC 9051 5.2). EXPUNGE responses are held back while answering FETCH, STORE and
SEARCH by sequence number (RFC 9051 7.4.1: numbers must not shift under the client);
UID commands may receive them.

Errors are mapped once (``errors.reply_for``); consecutive BAD responses are counted by
the session, which says BYE after too many.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from postroom.errors import PostroomError

from . import commands as c
from . import (
    fetch,
    handlers_append,
    handlers_auth,
    handlers_mailbox,
    handlers_messages,
    handlers_select,
    search,
    sort,
    thread,
)
from . import responses as r
from .errors import BadArguments, CommandFailed, reply_for
from .states import is_allowed

if TYPE_CHECKING:
    from .session import Session

__all__ = ["HANDLERS", "dispatch"]

Handler = Callable[["Session", Any], Awaitable[bytes | None]]

HANDLERS: dict[type[c.Command], Handler] = {
    c.Capability: handlers_auth.handle_capability,
    c.Noop: handlers_auth.handle_noop,
    c.Logout: handlers_auth.handle_logout,
    c.Id: handlers_auth.handle_id,
    c.Starttls: handlers_auth.handle_starttls,
    c.Authenticate: handlers_auth.handle_authenticate,
    c.Login: handlers_auth.handle_login,
    c.Enable: handlers_auth.handle_enable,
    c.Idle: handlers_auth.handle_idle,
    c.Select: handlers_select.handle_select,
    c.Examine: handlers_select.handle_select,
    c.Check: handlers_select.handle_check,
    c.Close: handlers_select.handle_close,
    c.Unselect: handlers_select.handle_unselect,
    c.Create: handlers_mailbox.handle_create,
    c.Delete: handlers_mailbox.handle_delete,
    c.Rename: handlers_mailbox.handle_rename,
    c.Subscribe: handlers_mailbox.handle_subscribe,
    c.Unsubscribe: handlers_mailbox.handle_unsubscribe,
    c.List: handlers_mailbox.handle_list,
    c.Lsub: handlers_mailbox.handle_lsub,
    c.Namespace: handlers_mailbox.handle_namespace,
    c.Status: handlers_mailbox.handle_status,
    c.GetQuota: handlers_mailbox.handle_getquota,
    c.GetQuotaRoot: handlers_mailbox.handle_getquotaroot,
    c.Append: handlers_append.handle_append,
    c.Expunge: handlers_messages.handle_expunge,
    c.UidExpunge: handlers_messages.handle_expunge,
    c.Store: handlers_messages.handle_store,
    c.Copy: handlers_messages.handle_copy,
    c.Move: handlers_messages.handle_move,
    c.Fetch: fetch.handle_fetch,
    c.Search: search.handle_search,
    c.Sort: sort.handle_sort,
    c.Thread: thread.handle_thread,
}

# RFC 9051 7.4.1: no EXPUNGE while answering these by message sequence number.
_NO_EXPUNGE = (c.Fetch, c.Store, c.Search, c.Sort, c.Thread, c.Copy)


def _expunges_allowed(command: c.Command) -> bool:
    if isinstance(command, _NO_EXPUNGE):
        return bool(getattr(command, "uid", False))
    return True


async def dispatch(session: Session, command: c.Command) -> None:
    """Run one complete command and write its responses."""
    tag = command.tag
    if not is_allowed(session.state, command.name):
        session.bad_commands += 1
        await session.send(r.bad(tag, f"{command.name} not allowed now"))
        return
    handler = HANDLERS[type(command)]
    try:
        reply = await handler(session, command)
    except (PostroomError, BadArguments, CommandFailed) as exc:
        reply = reply_for(tag, exc)
    if reply is None:
        return
    if reply.startswith(tag.encode("ascii") + b" BAD "):
        session.bad_commands += 1
    else:
        session.bad_commands = 0
    if not session.closing and session.idle_tag is None:
        try:
            await session.push_updates(expunges=_expunges_allowed(command))
        except PostroomError:
            pass  # the updates go out with the next command
    await session.send(reply)
