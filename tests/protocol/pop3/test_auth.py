"""AUTH (RFC 5034) with SASL PLAIN (RFC 4616), with and without an initial response."""

from __future__ import annotations

import base64

from tests.factories import PASSWORD
from tests.protocol.pop3.conftest import Open

FAILED = "-ERR [AUTH] Authentication failed\r\n"


def plain(user: str = "ann@example.org", password: str = PASSWORD, authzid: str = "") -> str:
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


async def test_auth_lists_mechanisms(pop3: Open) -> None:
    assert await pop3().send("AUTH") == "+OK Mechanisms follow\r\nPLAIN\r\n.\r\n"
    assert await pop3(peer_ip="192.0.2.7").send("AUTH") == "+OK Mechanisms follow\r\n.\r\n"


async def test_plain_with_initial_response(pop3: Open, inbox: list[bytes]) -> None:
    t = pop3()
    assert await t.send(f"AUTH PLAIN {plain()}") == "+OK Logged in\r\n"
    assert await t.send("STAT") != "-ERR Command not valid in this state\r\n"


async def test_plain_with_a_continuation(pop3: Open, inbox: list[bytes]) -> None:
    t = pop3()
    assert await t.send("AUTH plain") == "+ \r\n"
    assert await t.send(plain()) == "+OK Logged in\r\n"


async def test_pipelined_auth_exchange(pop3: Open, inbox: list[bytes]) -> None:
    t = pop3()
    out = await t.raw(f"AUTH PLAIN\r\n{plain()}\r\nSTAT\r\n".encode())
    assert out.startswith(b"+ \r\n+OK Logged in\r\n+OK 3 ")


async def test_cancel(pop3: Open) -> None:
    t = pop3()
    await t.send("AUTH PLAIN")
    assert await t.send("*") == "-ERR Authentication cancelled\r\n"
    assert await t.send("CAPA") != "-ERR Invalid base64 data\r\n"


async def test_bad_base64(pop3: Open) -> None:
    t = pop3()
    assert await t.send("AUTH PLAIN !!!") == "-ERR Invalid base64 data\r\n"
    await t.send("AUTH PLAIN")
    assert await t.send("not base64") == "-ERR Invalid base64 data\r\n"
    assert (await t.send("CAPA")).startswith("+OK")  # back to commands


async def test_malformed_plain_response(pop3: Open, ann: int) -> None:
    t = pop3()
    bad = base64.b64encode(b"just-a-name").decode()
    assert await t.send(f"AUTH PLAIN {bad}") == "-ERR Invalid arguments\r\n"
    other = plain(authzid="bob@example.org")  # acting as someone else is not offered
    assert await t.send(f"AUTH PLAIN {other}") == "-ERR Invalid arguments\r\n"


async def test_wrong_password_and_unknown_user(pop3: Open, ann: int) -> None:
    assert await pop3().send(f"AUTH PLAIN {plain(password='wrong password')}") == FAILED
    assert await pop3().send(f"AUTH PLAIN {plain(user='nobody@example.org')}") == FAILED


async def test_unknown_mechanism(pop3: Open) -> None:
    t = pop3()
    assert await t.send("AUTH CRAM-MD5") == "-ERR Unsupported authentication mechanism\r\n"


async def test_plain_refused_without_tls_from_a_remote_client(pop3: Open, ann: int) -> None:
    t = pop3(peer_ip="192.0.2.7")
    assert await t.send(f"AUTH PLAIN {plain()}") == (
        "-ERR [AUTH] Plaintext authentication requires TLS, use STLS\r\n"
    )
    tls = pop3(peer_ip="192.0.2.7", tls=True)
    assert await tls.send(f"AUTH PLAIN {plain()}") == "+OK Logged in\r\n"


async def test_sasl_line_limit(pop3: Open) -> None:
    t = pop3()
    await t.send("AUTH PLAIN")
    assert await t.send("A" * 20_000) == "-ERR Line too long\r\n"
    assert (await t.send("CAPA")).startswith("+OK")
