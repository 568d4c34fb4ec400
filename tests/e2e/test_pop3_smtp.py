"""Mail sent to the MX with smtplib is downloaded with poplib: SMTP delivery and POP3
meet in the store (DESIGN 3: one write path)."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib

from postroom.app import Services, server_context
from postroom.delivery import build_delivery
from postroom.delivery.dns import StaticResolver
from postroom.protocols.smtp.server import SmtpServer
from tests.factories import PASSWORD, make_account, make_message, make_org
from tests.protocol.pop3.live import HOST, live_pop3


async def test_message_sent_over_smtp_is_retrieved_over_pop3(services: Services) -> None:
    await make_org(services)
    await make_account(services)
    delivery = build_delivery(services.settings, services.tenancy, services.mail,
                              resolver=StaticResolver())  # no DNS on the test machine
    ctx = server_context(services)
    settings = ctx.settings.model_copy(
        update={"smtp_port": 0, "submission_port": 0, "submissions_port": 0})
    smtp = await SmtpServer(dataclasses.replace(ctx, settings=settings), delivery).start()
    sent = make_message(subject="Over SMTP", body="Sent to the MX.\n.A dotted line.\n")
    try:
        async with live_pop3(services) as node:
            def exchange() -> list[bytes]:
                with smtplib.SMTP(HOST, smtp[0].port, timeout=30) as client:
                    client.sendmail("bob@remote.test", ["ann@example.org"], sent)
                pop = node.client()
                pop.user("ann@example.org")
                pop.pass_(PASSWORD)
                assert pop.stat()[0] == 1
                lines = pop.retr(1)[1]
                pop.quit()
                return lines

            retrieved = b"\r\n".join(await asyncio.to_thread(exchange)) + b"\r\n"
    finally:
        for listener in smtp:
            await listener.close()
        await delivery.close()
    assert retrieved.startswith(b"Received: ")  # the MX's trace field, then the message
    assert retrieved.endswith(sent)
