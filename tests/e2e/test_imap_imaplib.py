"""Postroom's IMAP server over loopback with the standard library's imaplib."""

from __future__ import annotations

import asyncio
import imaplib

from tests.e2e.imap_harness import ImapNode, imap_node  # noqa: F401 - fixture
from tests.factories import make_message


def _login_starttls(node: ImapNode) -> imaplib.IMAP4:
    client = imaplib.IMAP4(node.host, node.port)
    client.starttls(node.client_tls())
    client.login(node.address, node.password)
    return client


async def test_starttls_login_append_fetch_byte_identical(imap_node: ImapNode) -> None:
    raw = make_message("Bytes", body="Exactly these bytes.\r\n")

    def run() -> bytes:
        client = _login_starttls(imap_node)
        typ, data = client.append("INBOX", None, None, raw)
        assert typ == "OK", data
        client.select("INBOX")
        typ, data = client.fetch("1", "(BODY.PEEK[])")
        client.logout()
        return data[0][1]  # type: ignore[index]

    assert await asyncio.to_thread(run) == raw
