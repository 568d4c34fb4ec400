"""CAPA (RFC 2449 5, 6) in both states, before and after TLS."""

from __future__ import annotations

from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript

COMMON = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]


def lines(reply: str) -> list[str]:
    first, *rest = reply.split("\r\n")
    assert first == "+OK Capability list follows"
    assert rest[-2:] == [".", ""]
    return rest[:-2]


async def test_remote_client_before_tls_sees_stls_and_no_password_login(pop3: Open) -> None:
    capa = lines(await pop3(peer_ip="192.0.2.7").send("CAPA"))
    assert capa == [*COMMON, "STLS", "EXPIRE NEVER", "IMPLEMENTATION Postroom"]


async def test_after_tls_no_stls_and_password_login(pop3: Open) -> None:
    capa = lines(await pop3(peer_ip="192.0.2.7", tls=True).send("CAPA"))
    assert capa == [*COMMON, "USER", "SASL PLAIN", "EXPIRE NEVER", "IMPLEMENTATION Postroom"]


async def test_loopback_in_development_may_log_in_before_tls(pop3: Open) -> None:
    capa = lines(await pop3().send("CAPA"))
    assert capa == [*COMMON, "USER", "STLS", "SASL PLAIN", "EXPIRE NEVER",
                    "IMPLEMENTATION Postroom"]


async def test_transaction_state_announces_the_same(pop3: Open, logged_in: Transcript) -> None:
    before = await pop3().send("CAPA")
    assert await logged_in.send("CAPA") == before
