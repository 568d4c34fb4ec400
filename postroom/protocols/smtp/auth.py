"""AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN, with or without initial response.

Rules:
- A password is taken only where `Session.plaintext_allowed` (TLS, or plaintext on
  loopback per `plaintext_auth`); elsewhere AUTH gets `530 5.7.0` (RFC 3207 4).
- Logins go through `Authenticator.login`, which throttles per IP and per address and
  gives one answer for an unknown user and a wrong password (`535 5.7.8`); a blocked
  key gets `454 4.7.0`. After `MAX_AUTH_FAILURES` failures the session ends (421).
- Only accounts of organisations with SMTP access may submit (`535 5.7.1`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from postroom import errors
from postroom.delivery.errors import SmtpAccessDisabled
from postroom.protocols.common import sasl
from postroom.protocols.smtp import replies
from postroom.protocols.smtp.commands import Auth, AuthCancel, AuthResponse, Event, LineTooLong
from postroom.protocols.smtp.states import Step

if TYPE_CHECKING:
    from postroom.protocols.smtp.session import Session

MAX_AUTH_FAILURES = 3  # failed logins before the session ends


@dataclass
class Exchange:
    """A SASL exchange in progress: LOGIN keeps the user name between its two lines."""

    mechanism: str
    username: str | None = None


async def handle_auth(session: Session, command: Auth) -> None:
    """GREETED, not in a transaction (RFC 4954 4)."""
    if session.account is not None:
        session.fail(replies.ALREADY_AUTHENTICATED)
        return
    if command.mechanism not in session.env.sasl_mechanisms:
        session.fail(replies.AUTH_UNKNOWN_MECHANISM)
        return
    if not session.plaintext_allowed:
        session.fail(replies.ENCRYPTION_REQUIRED)
        return
    if session.auth_failures >= MAX_AUTH_FAILURES:
        session.reply(replies.TOO_MANY_ERRORS)
        return
    initial = command.initial_response
    if command.mechanism == "PLAIN":
        if initial is None:
            _continue(session, Exchange("PLAIN"), replies.AUTH_CHALLENGE_EMPTY)
        else:
            await _plain(session, initial)
        return
    if initial:  # LOGIN with the user name as initial response
        _continue(session, Exchange("LOGIN", _text(initial)), replies.LOGIN_PASSWORD)
    else:
        _continue(session, Exchange("LOGIN"), replies.LOGIN_USERNAME)


async def handle_response(session: Session, event: Event) -> None:
    """AUTH_IN_PROGRESS: one SASL continuation line (RFC 4954 4)."""
    exchange = session.auth_exchange
    session.auth_exchange = None
    session.step(Step.AUTH_DONE)
    if isinstance(event, AuthCancel):
        session.fail(replies.AUTH_CANCELLED)
        return
    if isinstance(event, LineTooLong):
        session.fail(replies.AUTH_LINE_TOO_LONG)
        return
    if not isinstance(event, AuthResponse) or exchange is None:
        session.fail(replies.AUTH_BAD_BASE64)
        return
    if exchange.mechanism == "PLAIN":
        await _plain(session, event.data)
    elif exchange.username is None:
        _continue(session, Exchange("LOGIN", _text(event.data)), replies.LOGIN_PASSWORD)
    else:
        await _login(session, exchange.username, _text(event.data))


def _continue(session: Session, exchange: Exchange, challenge: replies.Reply) -> None:
    session.auth_exchange = exchange
    session.expect_auth = True
    session.step(Step.AUTH_STARTED)
    session.reply(challenge)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.Invalid("authentication data is not UTF-8") from None


async def _plain(session: Session, data: bytes) -> None:
    credentials = sasl.decode_plain(base64.b64encode(data))
    await _login(session, credentials.username, credentials.password)


async def _login(session: Session, username: str, password: str) -> None:
    try:
        account = await session.env.auth.login(username, password, ip=session.peer_ip)
    except errors.AuthenticationFailed:
        session.auth_failures += 1
        session.reply(replies.AUTH_FAILED)
        if session.auth_failures >= MAX_AUTH_FAILURES:
            session.reply(replies.TOO_MANY_ERRORS)
        return
    org = await session.env.organisations.get_by_id(account.organisation_id)
    if not org.smtp_access:
        raise SmtpAccessDisabled()
    session.account = account
    session.reply(replies.AUTH_OK)
