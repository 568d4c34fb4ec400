"""Session-level commands: EHLO, HELO, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS.

Each handler runs only in the states `states.ALLOWED` gives it (checked by the
dispatcher) and is `async (session, command) -> None`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.protocols.smtp import replies
from postroom.protocols.smtp.commands import (
    Ehlo,
    Expn,
    Helo,
    Help,
    Noop,
    Quit,
    Rset,
    StartTls,
    Vrfy,
)
from postroom.protocols.smtp.states import Step

if TYPE_CHECKING:
    from postroom.protocols.smtp.session import Session


def extensions(session: Session) -> tuple[str, ...]:
    """What EHLO offers now: STARTTLS before TLS only (RFC 3207 4.2), AUTH only where a
    password may be sent and nobody is logged in yet (RFC 4954 4)."""
    env = session.env
    return replies.extensions(
        max_size=env.max_message_size,
        starttls=env.tls_available and not session.tls,
        auth_mechanisms=env.sasl_mechanisms if session.auth_offered else (),
    )


async def handle_ehlo(session: Session, command: Ehlo) -> None:
    """Any state but DATA/AUTH: RFC 5321 4.1.4, EHLO also resets the transaction."""
    session.end_transaction()
    session.helo, session.esmtp = command.domain, True
    session.step(Step.HELLO)
    session.reply(replies.ehlo_ok(session.env.hostname, extensions(session)))


async def handle_helo(session: Session, command: Helo) -> None:
    """As EHLO, without extensions (RFC 5321 4.1.1.1)."""
    session.end_transaction()
    session.helo, session.esmtp = command.domain, False
    session.step(Step.HELLO)
    session.reply(replies.helo_ok(session.env.hostname))


async def handle_rset(session: Session, command: Rset) -> None:
    """Any state: RFC 5321 4.1.1.5, drop the transaction, keep HELO and AUTH."""
    session.end_transaction()
    session.step(Step.RESET)
    session.reply(replies.RESET_OK)


async def handle_noop(session: Session, command: Noop) -> None:
    """Any state (RFC 5321 4.1.1.9)."""
    session.reply(replies.OK)


async def handle_quit(session: Session, command: Quit) -> None:
    """Any state (RFC 5321 4.1.1.10): 221, then the server closes."""
    session.end_transaction()
    session.step(Step.QUIT)
    session.reply(replies.bye(session.env.hostname))


async def handle_vrfy(session: Session, command: Vrfy) -> None:
    """Outside a transaction. RFC 5321 3.5.3: 252 tells nothing about any address."""
    session.reply(replies.VRFY_NO_INFO)


async def handle_expn(session: Session, command: Expn) -> None:
    """Outside a transaction: lists are never expanded for a client (RFC 5321 3.5.2)."""
    session.fail(replies.EXPN_DISABLED)


async def handle_help(session: Session, command: Help) -> None:
    """Any state (RFC 5321 4.1.1.8)."""
    session.reply(replies.HELP)


async def handle_starttls(session: Session, command: StartTls) -> None:
    """GREETED: RFC 3207 4. The server starts the handshake after this reply is sent."""
    if session.tls:
        session.fail(replies.TLS_ALREADY_ACTIVE)
        return
    if not session.env.tls_available:
        session.reply(replies.TLS_NOT_AVAILABLE)
        return
    session.reply(replies.TLS_READY)
    session.tls_pending = True
