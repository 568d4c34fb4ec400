"""A second session on a locked maildrop stays in AUTHORIZATION (RFC 2449 8.1.2)."""

from __future__ import annotations

import base64

from postroom.protocols.pop3.states import SessionState
from tests.factories import PASSWORD
from tests.protocol.pop3.conftest import Open

IN_USE = "-ERR [IN-USE] Mailbox is in use by another POP3 session\r\n"


async def test_in_use_then_free_after_quit(pop3: Open, inbox: list[bytes]) -> None:
    first, second = pop3(), pop3()
    await first.login()
    assert await second.login() == IN_USE
    assert second.session.state is SessionState.AUTHORIZATION
    assert not second.closing
    await first.send("QUIT")
    first.close()
    assert await second.login() == "+OK Logged in\r\n"


async def test_in_use_over_auth_plain(pop3: Open, inbox: list[bytes]) -> None:
    first, second = pop3(), pop3()
    await first.login()
    token = base64.b64encode(f"\0ann@example.org\0{PASSWORD}".encode()).decode()
    assert await second.send(f"AUTH PLAIN {token}") == IN_USE
