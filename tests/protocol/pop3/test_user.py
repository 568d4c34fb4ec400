"""USER (RFC 1939 7) and where a password may be sent (RFC 2595, DESIGN 5)."""

from __future__ import annotations

from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript

REMOTE = "192.0.2.7"  # not loopback: plaintext refused under the development policy


async def test_user_on_loopback(pop3: Open) -> None:
    assert await pop3().send("USER ann@example.org") == "+OK Send PASS\r\n"


async def test_user_without_tls_from_a_remote_client_is_refused(pop3: Open) -> None:
    t = pop3(peer_ip=REMOTE)
    assert await t.send("USER ann@example.org") == (
        "-ERR [AUTH] Plaintext authentication requires TLS, use STLS\r\n"
    )
    assert await t.send("PASS secret") == "-ERR Send USER first\r\n"


async def test_user_over_tls_from_a_remote_client(pop3: Open) -> None:
    assert await pop3(peer_ip=REMOTE, tls=True).send("USER ann@example.org") == "+OK Send PASS\r\n"


async def test_user_takes_one_name(pop3: Open) -> None:
    assert await pop3().send("USER") == "-ERR Invalid arguments\r\n"
    assert await pop3().send("USER a b") == "-ERR Invalid arguments\r\n"


async def test_user_after_login_is_refused(logged_in: Transcript) -> None:
    assert await logged_in.send("USER ann@example.org") == "-ERR Already authenticated\r\n"
