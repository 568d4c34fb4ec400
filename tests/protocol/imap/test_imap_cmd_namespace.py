"""NAMESPACE (RFC 2342): one personal namespace with "/" as delimiter."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_namespace(logged_in: Transcript) -> None:
    reply = await logged_in.send("a NAMESPACE")
    assert reply == '* NAMESPACE (("" "/")) NIL NIL\r\na OK NAMESPACE completed\r\n'
