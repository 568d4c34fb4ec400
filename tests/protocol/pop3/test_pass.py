"""PASS (RFC 1939 7): login, identical failures (RFC 3206 [AUTH]), throttling, IN-USE."""

from __future__ import annotations

from postroom.app import Services
from postroom.store.records import AccountStatus
from postroom.tenancy.auth import ThrottlePolicy
from tests.factories import PASSWORD
from tests.protocol.pop3.conftest import Open

FAILED = "-ERR [AUTH] Authentication failed\r\n"


async def test_login(pop3: Open, inbox: list[bytes]) -> None:
    t = pop3()
    assert await t.send("USER ann@example.org") == "+OK Send PASS\r\n"
    assert await t.send(f"PASS {PASSWORD}") == "+OK Logged in\r\n"


async def test_login_name_is_case_insensitive(pop3: Open, inbox: list[bytes]) -> None:
    assert await pop3().login("Ann@Example.ORG") == "+OK Logged in\r\n"


async def test_pass_without_user(pop3: Open) -> None:
    assert await pop3().send("PASS secret") == "-ERR Send USER first\r\n"


async def test_wrong_password_and_unknown_user_get_the_same_reply(pop3: Open, ann: int) -> None:
    assert await pop3().login(password="wrong password") == FAILED
    assert await pop3().login("nobody@example.org") == FAILED
    assert await pop3().login("not-an-address") == FAILED


async def test_suspended_account_gets_the_same_reply(services: Services, pop3: Open,
                                                     ann: int) -> None:
    await services.tenancy.accounts.set_status("ann@example.org", AccountStatus.SUSPENDED)
    assert await pop3().login() == FAILED


async def test_failed_pass_needs_user_again(pop3: Open, ann: int) -> None:
    t = pop3()
    assert await t.login(password="wrong password") == FAILED
    assert await t.send(f"PASS {PASSWORD}") == "-ERR Send USER first\r\n"
    assert await t.login() == "+OK Logged in\r\n"


async def test_password_with_spaces(services: Services, pop3: Open, ann: int) -> None:
    await services.tenancy.accounts.set_password("ann@example.org", "two words and more")
    assert await pop3().login(password="two words and more") == "+OK Logged in\r\n"


async def test_blocked_after_many_failures(services: Services, pop3: Open, ann: int) -> None:
    services.tenancy.auth.policy = ThrottlePolicy(free_failures=100, block_account_after=3)
    for _ in range(3):
        assert await pop3().login(password="wrong password") == FAILED
    blocked = "-ERR [SYS/TEMP] Too many failed attempts, try again later\r\n"
    assert await pop3().login() == blocked  # even the right password, while blocked


async def test_second_session_gets_in_use(pop3: Open, inbox: list[bytes]) -> None:
    first, second = pop3(), pop3()
    assert await first.login() == "+OK Logged in\r\n"
    assert await second.login() == (
        "-ERR [IN-USE] Mailbox is in use by another POP3 session\r\n"
    )
