"""POP3 handlers valid in more than one state: CAPA and QUIT.

Invariants:

- CAPA lists the same capabilities in AUTHORIZATION and TRANSACTION (RFC 2449 5:
  what AUTHORIZATION offers must be announced in both), computed from the connection:
  STLS only before TLS, USER and SASL PLAIN only where a password may be sent.
- QUIT in TRANSACTION enters UPDATE and removes the messages marked by DELE through
  the store (RFC 1939 6); QUIT in AUTHORIZATION removes nothing. Either way the
  connection closes after the reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.errors import PostroomError
from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.commands import Capa, Quit
from postroom.protocols.pop3.states import SessionState, Step

if TYPE_CHECKING:
    from postroom.protocols.pop3.session import Session

EXPIRE = "NEVER"  # RFC 2449 6.7: the server never deletes mail on its own


async def handle_capa(session: Session, command: Capa) -> None:
    """CAPA (RFC 2449 5). AUTHORIZATION, TRANSACTION."""
    env = session.env
    plaintext = session.plaintext_allowed
    session.write(
        replies.capabilities(
            stls=env.tls_available and not session.tls,
            user=plaintext,
            sasl=env.sasl_mechanisms if plaintext else (),
            expire=EXPIRE,
            implementation=env.implementation,
        )
    )


async def handle_quit(session: Session, command: Quit) -> None:
    """QUIT (RFC 1939 6). AUTHORIZATION, TRANSACTION."""
    session.end()
    if session.state is SessionState.AUTHORIZATION:
        session.step(Step.QUIT)
        session.write(replies.BYE)
        return
    session.step(Step.QUIT)  # UPDATE
    maildrop = session.maildrop
    assert maildrop is not None
    try:
        await maildrop.commit()
    except PostroomError:
        # RFC 1939 6: -ERR if some deleted messages were not removed; none were
        # (one transaction), so the next session lists them all again.
        session.write(replies.BYE_UPDATE_FAILED)
        return
    session.write(replies.BYE)
