"""POP3 handlers of the AUTHORIZATION state: USER, PASS, APOP, AUTH (and its SASL
responses), STLS. Every handler runs in AUTHORIZATION only (the dispatcher checks).

Invariants:

- A password is accepted only where `Session.plaintext_allowed` (TLS, or the
  POSTROOM_PLAINTEXT_AUTH policy): USER and AUTH are refused before a password is sent,
  so a well-behaved client never puts it on an unprotected wire (RFC 2595 2, DESIGN 5).
- Logins go through `Authenticator.login`, which throttles per IP and per address and
  fails alike for an unknown user, a wrong password and an account that may not log in
  (`AuthenticationFailed` -> `-ERR [AUTH]`, RFC 3206 5; mapped by the dispatcher).
- The maildrop lock is taken before the message list is read, so the list a session
  fixes at login is never one another POP3 session is about to change; a second
  session gets `-ERR [IN-USE]` (RFC 2449 8.1.2) and stays in AUTHORIZATION.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from postroom.protocols.common.sasl import decode_plain
from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.commands import Apop, Auth, Pass, SaslCancel, SaslResponse, Stls, User
from postroom.protocols.pop3.maildrop import Maildrop
from postroom.protocols.pop3.states import Step

if TYPE_CHECKING:
    from postroom.protocols.pop3.session import Session


async def handle_user(session: Session, command: User) -> None:
    """USER name (RFC 1939 7). AUTHORIZATION."""
    if not session.plaintext_allowed:
        session.write(replies.ENCRYPTION_REQUIRED)  # RFC 2595 4: USER only after STLS
        return
    session.user = command.name
    session.write(replies.USER_OK)


async def handle_pass(session: Session, command: Pass) -> None:
    """PASS string (RFC 1939 7). AUTHORIZATION, after USER."""
    name, session.user = session.user, None  # RFC 1939 7: a failed PASS starts over
    if name is None:
        session.write(replies.NEED_USER)
        return
    if not session.plaintext_allowed:
        session.write(replies.ENCRYPTION_REQUIRED)
        return
    await log_in(session, name, command.password)


async def handle_apop(session: Session, command: Apop) -> None:
    """APOP (RFC 1939 7) needs the password in clear on the server: not offered
    (the greeting carries no timestamp). AUTHORIZATION."""
    session.write(replies.APOP_NOT_SUPPORTED)


async def handle_auth(session: Session, command: Auth) -> None:
    """AUTH [mechanism [initial-response]] (RFC 5034 4). AUTHORIZATION."""
    offered = session.env.sasl_mechanisms if session.plaintext_allowed else ()
    if command.mechanism is None:
        session.write(replies.sasl_mechanisms(offered))
        return
    if command.mechanism not in session.env.sasl_mechanisms:
        session.write(replies.AUTH_UNKNOWN_MECHANISM)
        return
    if command.mechanism not in offered:
        session.write(replies.ENCRYPTION_REQUIRED)
        return
    session.user = None
    if command.initial_response is None:
        session.sasl_mechanism = command.mechanism
        session.reader.expect_sasl_response()
        session.write(replies.sasl_challenge(b""))  # RFC 4616 2: PLAIN starts empty
        return
    await _finish_plain(session, command.initial_response)


async def handle_sasl_response(session: Session, event: SaslResponse | SaslCancel) -> None:
    """The client's line after `+ ` (RFC 5034 4). AUTHORIZATION, inside AUTH."""
    mechanism, session.sasl_mechanism = session.sasl_mechanism, None
    if mechanism is None:
        session.write(replies.BAD_STATE)
        return
    if isinstance(event, SaslCancel):
        session.write(replies.AUTH_CANCELLED)
        return
    await _finish_plain(session, event.data)


async def _finish_plain(session: Session, response: bytes) -> None:
    # RFC 4616 2: [authzid] NUL authcid NUL passwd; decode_plain checks the form
    credentials = decode_plain(base64.b64encode(response))
    await log_in(session, credentials.username, credentials.password)


async def handle_stls(session: Session, command: Stls) -> None:
    """STLS (RFC 2595 4). AUTHORIZATION, before TLS."""
    if session.tls:
        session.write(replies.TLS_ALREADY_ACTIVE)
        return
    if not session.env.tls_available:
        session.write(replies.TLS_NOT_AVAILABLE)
        return
    session.write(replies.TLS_READY)
    session.reader.take_unread()  # RFC 2595 4: nothing sent before the handshake counts
    session.user = None
    session.tls_pending = True


async def log_in(session: Session, address: str, password: str) -> None:
    """Check the credentials, lock and open the maildrop, enter TRANSACTION."""
    env = session.env
    account = await env.auth.login(address, password, ip=session.peer_ip or None)
    if not env.locks.acquire(account.id):
        session.write(replies.IN_USE)  # RFC 2449 8.1.2
        return
    try:
        session.maildrop = await Maildrop.open(env.mail, env.sizes, account.id)
    except BaseException:
        env.locks.release(account.id)
        raise
    session.step(Step.AUTHENTICATED)
    session.write(replies.AUTH_OK)
