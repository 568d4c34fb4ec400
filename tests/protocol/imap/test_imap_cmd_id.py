"""ID (RFC 2971): the server names itself in any state and remembers the client's ID."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open


async def test_id(imap: Open) -> None:
    t = imap()
    reply = await t.send('a ID ("name" "Thunderbird" "version" "128")')
    assert reply.startswith('* ID ("name" "Postroom" "vendor" "Postroom" "support-url" NIL)')
    assert reply.endswith("a OK ID completed\r\n")
    assert t.session.client_id == {"name": "Thunderbird", "version": "128"}


async def test_id_nil(imap: Open) -> None:
    assert (await imap().send("a ID NIL")).endswith("a OK ID completed\r\n")
