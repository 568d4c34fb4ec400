"""IDLE sees a message delivered through Postroom's own SMTP server (the MX listener),
end to end over loopback: smtplib -> SMTP -> delivery -> store -> change feed -> IMAP."""

from __future__ import annotations

import asyncio
import smtplib
import time

from imapclient import IMAPClient

from postroom.app import server_context
from tests.e2e.imap_harness import ImapNode, imap_node_fixture  # noqa: F401 - fixture
from tests.factories import make_message


async def test_idle_sees_smtp_delivery(imap_node: ImapNode) -> None:
    from postroom.protocols.smtp import server as smtp_server

    smtp = await smtp_server.start(server_context(imap_node.services))
    try:
        mx_port = smtp[0].port
        client = await asyncio.to_thread(IMAPClient, imap_node.host, port=imap_node.tls_port,
                                         ssl=True, ssl_context=imap_node.client_tls())
        await asyncio.to_thread(client.login, imap_node.address, imap_node.password)
        await asyncio.to_thread(client.select_folder, "INBOX")
        await asyncio.to_thread(client.idle)
        raw = make_message("Through SMTP", sender="carol@example.net")

        def send() -> None:
            with smtplib.SMTP(imap_node.host, mx_port, timeout=30) as mta:
                mta.sendmail("carol@example.net", [imap_node.address], raw)

        await asyncio.to_thread(send)
        started = time.monotonic()
        responses = await asyncio.to_thread(client.idle_check, 5)
        elapsed = time.monotonic() - started
        await asyncio.to_thread(client.idle_done)
        fetched = await asyncio.to_thread(client.fetch, "1", ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        await asyncio.to_thread(client.logout)
        assert (1, b"EXISTS") in responses
        assert elapsed < 1.0
        [data] = fetched.values()
        assert b"Through SMTP" in data[b"BODY[HEADER.FIELDS (SUBJECT)]"]
    finally:
        for listener in smtp:
            await listener.close()
