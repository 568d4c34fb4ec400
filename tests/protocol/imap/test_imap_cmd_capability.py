"""CAPABILITY (RFC 9051 6.1.1): what is advertised depends on TLS and login state."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_greeting_carries_capabilities(imap: Open) -> None:
    t = imap()
    assert t.greeting.startswith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ")
    assert "STARTTLS" in t.greeting


async def test_loopback_plaintext_allowed_offers_auth_plain(imap: Open) -> None:
    reply = await imap().send("a CAPABILITY")
    assert reply.endswith("a OK CAPABILITY completed\r\n")
    caps = reply.splitlines()[0].split()
    assert "AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps and "STARTTLS" in caps
    assert "IDLE" in caps and "SASL-IR" in caps and "LITERAL+" in caps


async def test_logindisabled_before_tls_from_remote_address(imap: Open) -> None:
    caps = (await imap(peer_ip="192.0.2.7").send("a CAPABILITY")).split()
    assert "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps


async def test_no_starttls_once_tls_is_on(imap: Open) -> None:
    caps = (await imap(peer_ip="192.0.2.7", tls=True).send("a CAPABILITY")).split()
    assert "STARTTLS" not in caps and "AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps


async def test_authenticated_capabilities_list_every_extension(logged_in: Transcript) -> None:
    caps = (await logged_in.send("a CAPABILITY")).splitlines()[0].split()[2:]
    for cap in ("NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN", "LIST-EXTENDED",
                "LIST-STATUS", "SPECIAL-USE", "STATUS=SIZE", "QUOTA", "CONDSTORE", "QRESYNC",
                "ESEARCH", "SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "ENABLE",
                "UTF8=ACCEPT", "APPENDLIMIT=52428800", "ID", "IDLE", "BINARY", "MULTIAPPEND"):
        assert cap in caps, cap
    assert "STARTTLS" not in caps and "AUTH=PLAIN" not in caps
