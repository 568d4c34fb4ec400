"""POP3 security end to end: plaintext login policy (POSTROOM_PLAINTEXT_AUTH), STLS,
POP3S (implicit TLS) and AUTH PLAIN with an initial response (RFC 5034)."""

from __future__ import annotations

import asyncio
import base64
import poplib

import pytest

from postroom.app import Services
from postroom.config import PlaintextAuth
from tests.factories import PASSWORD, make_account, make_message, make_org
from tests.protocol.pop3.live import live_pop3

ADDRESS = "ann@example.org"


@pytest.fixture
async def ann(services: Services) -> int:
    await make_org(services)
    account = await make_account(services)
    await services.mail.append(account.id, "INBOX", make_message("Secret"))
    return account.id


def refusal(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except poplib.error_proto as exc:
        return bytes(exc.args[0]).decode()
    return "accepted"


async def test_plaintext_refused_without_tls_when_policy_is_never(services: Services,
                                                                  ann: int) -> None:
    async with live_pop3(services, plaintext_auth=PlaintextAuth.NEVER) as node:
        def session() -> tuple[str, str, dict[str, list[str]]]:
            c = node.client()
            capa = c.capa()
            user = refusal(lambda: c.user(ADDRESS))
            token = base64.b64encode(f"\0{ADDRESS}\0{PASSWORD}".encode()).decode()
            auth = refusal(lambda: c._shortcmd(f"AUTH PLAIN {token}"))
            c.quit()
            return user, auth, capa

        user, auth, capa = await asyncio.to_thread(session)
    assert user.startswith("-ERR [AUTH] Plaintext authentication requires TLS")
    assert auth.startswith("-ERR [AUTH] Plaintext authentication requires TLS")
    assert "STLS" in capa and "USER" not in capa and "SASL" not in capa


async def test_plaintext_allowed_on_loopback_when_policy_allows(services: Services,
                                                                ann: int) -> None:
    async with live_pop3(services, plaintext_auth=PlaintextAuth.LOOPBACK) as node:
        def session() -> tuple[int, int]:
            c = node.client()
            c.user(ADDRESS)
            c.pass_(PASSWORD)
            stat = c.stat()
            c.quit()
            return stat

        assert (await asyncio.to_thread(session))[0] == 1


async def test_stls_then_login(services: Services, ann: int) -> None:
    async with live_pop3(services, plaintext_auth=PlaintextAuth.NEVER) as node:
        def session() -> tuple[dict[str, list[str]], int]:
            c = node.client()
            c.stls(node.ssl_context())
            capa = c.capa()
            c.user(ADDRESS)
            c.pass_(PASSWORD)
            count = c.stat()[0]
            c.quit()
            return capa, count

        capa, count = await asyncio.to_thread(session)
    assert count == 1
    assert "STLS" not in capa and "USER" in capa and capa["SASL"] == ["PLAIN"]


async def test_pop3s_with_auth_plain_initial_response(services: Services, ann: int) -> None:
    async with live_pop3(services, plaintext_auth=PlaintextAuth.NEVER) as node:
        def session() -> tuple[bytes, bytes, int]:
            c = node.tls_client()
            greeting = c.getwelcome()
            token = base64.b64encode(f"\0{ADDRESS}\0{PASSWORD}".encode()).decode()
            reply = c._shortcmd(f"AUTH PLAIN {token}")
            count = c.stat()[0]
            c.quit()
            return greeting, reply, count

        greeting, reply, count = await asyncio.to_thread(session)
    assert greeting == b"+OK POP3 server ready"
    assert reply == b"+OK Logged in"
    assert count == 1


async def test_wrong_password_over_tls(services: Services, ann: int) -> None:
    async with live_pop3(services) as node:
        def session() -> str:
            c = node.tls_client()
            c.user(ADDRESS)
            reply = refusal(lambda: c.pass_("wrong password"))
            c.quit()
            return reply

        assert await asyncio.to_thread(session) == "-ERR [AUTH] Authentication failed"
