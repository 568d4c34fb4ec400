"""AUTHORIZATION -> TRANSACTION (RFC 1939 4, 5): the maildrop is locked and fixed."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import TemporaryFailure
from postroom.protocols.pop3.states import SessionState
from tests.factories import make_message
from tests.protocol.pop3.conftest import Open

TRANSACTION_ONLY = ["STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"]


async def test_transaction_commands_are_refused_before_login(pop3: Open,
                                                             inbox: list[bytes]) -> None:
    t = pop3()
    for line in TRANSACTION_ONLY:
        assert await t.send(line) == "-ERR Command not valid in this state\r\n", line
    assert t.session.state is SessionState.AUTHORIZATION


async def test_login_enters_transaction(services: Services, ann: int, pop3: Open,
                                        inbox: list[bytes]) -> None:
    t = pop3()
    await t.login()
    assert t.session.state is SessionState.TRANSACTION
    assert t.session.env.locks.held(ann)
    for line in ("USER x", "PASS x", "AUTH PLAIN", "APOP a 0123456789abcdef0123456789abcdef"):
        assert await t.send(line) == "-ERR Already authenticated\r\n"


async def test_the_message_list_is_fixed_at_login(services: Services, ann: int, pop3: Open,
                                                  inbox: list[bytes]) -> None:
    t = pop3()
    await t.login()
    await services.mail.append(ann, "INBOX", make_message("late"))
    assert (await t.send("STAT")).startswith("+OK 3 ")
    assert await t.send("RETR 4") == "-ERR No such message\r\n"


async def test_the_maildrop_is_inbox_only(services: Services, ann: int, pop3: Open) -> None:
    await services.mail.append(ann, "Sent", make_message("sent"))
    t = pop3()
    await t.login()
    assert await t.send("STAT") == "+OK 0 0\r\n"


async def test_storage_trouble_at_login_releases_the_lock(
    services: Services, ann: int, pop3: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise TemporaryFailure()

    monkeypatch.setattr(services.mail, "messages", broken)
    t = pop3()
    assert await t.login() == "-ERR [SYS/TEMP] Temporary failure, try again later\r\n"
    assert t.session.state is SessionState.AUTHORIZATION
    assert not t.session.env.locks.held(ann)
