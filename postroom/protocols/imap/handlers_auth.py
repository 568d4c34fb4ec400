"""Commands of any state and of the not-authenticated state, plus ENABLE and IDLE.

CAPABILITY, NOOP, LOGOUT, ID (RFC 9051 6.1, RFC 2971), STARTTLS, AUTHENTICATE with
SASL-IR, LOGIN (RFC 9051 6.2, RFC 4959), ENABLE (RFC 5161) and IDLE (RFC 2177).

Invariants:
- A password is accepted only when ``plaintext_allowed(peer, tls)``: before TLS the
  server says LOGINDISABLED and offers no AUTH= mechanism (RFC 9051 6.2.3), and LOGIN
  or AUTHENTICATE answer ``NO [PRIVACYREQUIRED]``.
- Every login goes through ``tenancy.auth.login``, which throttles per IP and account
  and gives the same answer for an unknown user and a wrong password.
- Only what works is advertised; the capability list is computed in one place.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from postroom.errors import AuthenticationFailed, Invalid, PostroomError
from postroom.protocols.common.sasl import decode_plain

from . import commands as c
from . import responses as r
from .errors import reply_for
from .states import State

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "capabilities",
    "finish_authenticate",
    "handle_authenticate",
    "handle_capability",
    "handle_enable",
    "handle_id",
    "handle_idle",
    "handle_login",
    "handle_logout",
    "handle_noop",
    "handle_starttls",
]

_BASE = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"]
_AUTHENTICATED = [
    "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN", "LIST-EXTENDED",
    "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE", "QUOTA",
    "QUOTA=RES-STORAGE", "CONDSTORE", "QRESYNC", "ESEARCH", "SEARCHRES", "SORT",
    "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "MULTIAPPEND", "BINARY",
    "UTF8=ACCEPT",
]  # fmt: skip
# RFC 5161 3.1: what ENABLE can turn on, in the spelling ENABLED answers with.
_ENABLEABLE = {"CONDSTORE": "CONDSTORE", "QRESYNC": "QRESYNC", "UTF8=ACCEPT": "UTF8=ACCEPT",
               "IMAP4REV2": "IMAP4rev2"}
_SERVER_ID = {"name": "Postroom", "vendor": "Postroom", "support-url": None}


def capabilities(session: Session) -> list[str]:
    """RFC 9051 7.2.2: what this session may use now."""
    env = session.env
    caps = list(_BASE)
    if session.state is State.NOT_AUTHENTICATED:
        if not session.tls and env.starttls_available:
            caps.append("STARTTLS")
        if env.plaintext_allowed(session.peer_ip, session.tls):
            caps.append("AUTH=PLAIN")
        else:
            caps.append("LOGINDISABLED")  # RFC 9051 6.2.3
        return caps
    return [*caps, *_AUTHENTICATED, f"APPENDLIMIT={env.limits.max_append}"]  # RFC 7889


async def handle_capability(session: Session, cmd: c.Capability) -> bytes:
    """Any state."""
    await session.send(r.capability(capabilities(session)))
    return r.ok(cmd.tag, "CAPABILITY completed")


async def handle_noop(session: Session, cmd: c.Noop) -> bytes:
    """Any state; in the selected state it is how clients poll (RFC 9051 6.1.2)."""
    await session.push_updates(expunges=True, force=True)
    return r.ok(cmd.tag, "NOOP completed")


async def handle_logout(session: Session, cmd: c.Logout) -> bytes:
    """Any state (RFC 9051 6.1.3): BYE, then the tagged OK, then the server closes."""
    await session.send(r.bye("Logging out"))
    session.closing = True
    session.state = State.LOGOUT
    return r.ok(cmd.tag, "LOGOUT completed")


async def handle_id(session: Session, cmd: c.Id) -> bytes:
    """Any state (RFC 2971 3.1)."""
    session.client_id = dict(cmd.params or ())
    await session.send(r.id_response(_SERVER_ID))
    return r.ok(cmd.tag, "ID completed")


async def handle_starttls(session: Session, cmd: c.Starttls) -> bytes:
    """Not authenticated (RFC 9051 6.2.1). The server does the handshake after the OK."""
    if session.tls or not session.env.starttls_available:
        return r.bad(cmd.tag, "TLS is already active or not available here")
    session.tls_pending = True
    return r.ok(cmd.tag, "Begin TLS negotiation now")


async def handle_login(session: Session, cmd: c.Login) -> bytes:
    """Not authenticated (RFC 9051 6.2.3)."""
    if not session.env.plaintext_allowed(session.peer_ip, session.tls):
        return r.no(cmd.tag, "Use STARTTLS first", r.Code.PRIVACYREQUIRED)
    return await _log_in(session, cmd.tag, cmd.username, cmd.password)


async def handle_authenticate(session: Session, cmd: c.Authenticate) -> bytes | None:
    """Not authenticated (RFC 9051 6.2.2, SASL-IR RFC 4959). PLAIN only (RFC 4616)."""
    if cmd.mechanism != "PLAIN":
        return r.no(cmd.tag, "Unsupported authentication mechanism", r.Code.CANNOT)
    if not session.env.plaintext_allowed(session.peer_ip, session.tls):
        return r.no(cmd.tag, "Use STARTTLS first", r.Code.PRIVACYREQUIRED)
    if cmd.initial_response is None:
        session.sasl_tag = cmd.tag
        session.parser.expect_sasl_response(cmd.tag)
        await session.send(r.challenge(b""))  # "+ " : PLAIN has an empty first challenge
        return None
    return await _plain(session, cmd.tag, cmd.initial_response)


async def finish_authenticate(session: Session, event: c.SaslResponse) -> None:
    """The client's response to the empty PLAIN challenge."""
    session.sasl_tag = None
    try:
        reply = await _plain(session, event.tag, event.data)
    except PostroomError as exc:
        reply = reply_for(event.tag, exc)
    await session.send(reply)


async def _plain(session: Session, tag: str, data: bytes) -> bytes:
    try:
        creds = decode_plain(base64.b64encode(data))
    except Invalid as exc:
        session.bad_commands += 1
        return r.bad(tag, exc.message)
    return await _log_in(session, tag, creds.username, creds.password)


async def _log_in(session: Session, tag: str, username: str, password: str) -> bytes:
    env = session.env
    try:
        account = await env.auth.login(username, password, ip=session.peer_ip)
    except AuthenticationFailed:
        session.auth_failures += 1  # the session says BYE after too many
        return r.no(tag, "Authentication failed", r.Code.AUTHENTICATIONFAILED)
    if not session.logged_in(account):
        return r.no(tag, "Too many connections from this user and address", r.Code.LIMIT)
    return r.ok(tag, "Logged in", r.capability_code(capabilities(session)))


async def handle_enable(session: Session, cmd: c.Enable) -> bytes:
    """Authenticated (RFC 5161 3.1); QRESYNC implies CONDSTORE (RFC 7162 3.2.3)."""
    newly: list[str] = []
    for name in cmd.capabilities:
        canonical = _ENABLEABLE.get(name)
        if canonical is None or name in session.enabled:
            continue
        session.enabled.add(name)
        newly.append(canonical)
        if name == "QRESYNC" and "CONDSTORE" not in session.enabled:
            session.enabled.add("CONDSTORE")
    session.condstore = session.condstore or "CONDSTORE" in session.enabled
    session.parser.utf8_mailboxes = session.utf8  # RFC 6855 3, RFC 9051 5.1
    await session.send(r.enabled(newly))
    return r.ok(cmd.tag, "ENABLE completed")


async def handle_idle(session: Session, cmd: c.Idle) -> None:
    """Authenticated or selected (RFC 2177 3). The session completes it at DONE."""
    await session.start_idle(cmd.tag)
