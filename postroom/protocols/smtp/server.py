"""The SMTP listeners: 25 (MX, AUTH after STARTTLS), 587 (submission, STARTTLS) and
465 (submission, implicit TLS, RFC 8314 3.3).

The only module of the package that touches sockets. `start(ctx)` builds the node's
`Delivery` (inbound, submission, queue) from the context and binds the three
listeners; `SmtpServer.handle` serves one connection with a `Conversation`.

Invariants:

- Reads are bounded (`READ_SIZE`) and each read is handled whole before the next, so
  a session holds at most one read plus what its readers carry (a partial line, two
  octets of DATA): memory per session stays bounded whatever the message size.
- Replies are written and drained before the next read (PIPELINING, RFC 2920).
- STARTTLS: the 220 is flushed, the bytes pipelined after it are discarded
  (`Connection.start_tls` and the command reader), and only then the handshake starts.
- A client silent for `smtp_timeout` seconds gets `421 4.4.2` (RFC 5321 4.5.3.2.7).
- Connections over `smtp_connections_per_ip` get `421 4.7.0` before a greeting.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

from postroom.delivery import Delivery, build_delivery
from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import (
    Connection,
    ConnectionLimiter,
    Handler,
    RunningListener,
    start_listener,
)
from postroom.protocols.smtp import replies
from postroom.protocols.smtp.context import Mode, SessionEnv
from postroom.protocols.smtp.session import Session
from postroom.protocols.smtp.wire import Conversation

log = logging.getLogger("postroom.smtp")

READ_SIZE = 64 * 1024


@dataclass
class SmtpServer:
    """What the SMTP sessions of one node share."""

    ctx: ServerContext
    delivery: Delivery

    @property
    def tls_context(self) -> ssl.SSLContext:
        return self.ctx.certificates.context

    def env(self, mode: Mode) -> SessionEnv:
        settings = self.ctx.settings
        return SessionEnv(
            hostname=settings.hostname,
            postmaster=settings.postmaster_address,
            mode=mode,
            inbound=self.delivery.inbound,
            submitter=self.delivery.submitter,
            auth=self.ctx.tenancy.auth,
            organisations=self.ctx.tenancy.organisations,
            log=self.delivery.log,
            plaintext_allowed=self.ctx.plaintext_allowed,
            tls_available=True,
            max_message_size=int(settings.max_message_size),
            mx_max_recipients=settings.mx_max_recipients,
            submission_max_recipients=settings.submission_max_recipients,
        )

    def conversation(self, mode: Mode, peer_ip: str, tls: bool) -> Conversation:
        settings = self.ctx.settings
        session = Session(self.env(mode), peer_ip=peer_ip, tls=tls)
        return Conversation(session, line_limit=settings.smtp_line_limit,
                            text_line_limit=settings.smtp_text_line_limit)

    def handler(self, mode: Mode) -> Handler:
        async def handle(conn: Connection) -> None:
            conversation = self.conversation(mode, conn.peer_ip, conn.tls)
            try:
                await self._serve(conn, conversation)
            finally:
                conversation.close()

        return handle

    async def _serve(self, conn: Connection, conversation: Conversation) -> None:
        conn.writer.write(conversation.start())
        await conn.writer.drain()
        timeout = self.ctx.settings.smtp_timeout
        while not conversation.closing:
            try:
                data = await asyncio.wait_for(conn.reader.read(READ_SIZE), timeout)
            except TimeoutError:
                conn.writer.write(replies.TIMEOUT.to_bytes())
                await conn.writer.drain()
                return
            if not data:
                return
            out = await conversation.receive(data)
            if out:
                conn.writer.write(out)
                await conn.writer.drain()
            if conversation.tls_pending and not conversation.closing:
                await conn.start_tls(self.tls_context)  # RFC 3207 4.2
                conversation.tls_started()

    async def start(self) -> list[RunningListener]:
        settings = self.ctx.settings
        limiter = ConnectionLimiter(settings.smtp_connections_per_ip)
        refuse = replies.TOO_MANY_CONNECTIONS.to_bytes()
        host = settings.listen_address
        started: list[RunningListener] = []
        try:
            started.append(await start_listener(
                "smtp", host, settings.smtp_port, self.handler(Mode.MX),
                limiter=limiter, refuse=refuse))
            started.append(await start_listener(
                "submission", host, settings.submission_port, self.handler(Mode.SUBMISSION),
                limiter=limiter, refuse=refuse))
            started.append(await start_listener(
                "submissions", host, settings.submissions_port,
                self.handler(Mode.SUBMISSION), tls=self.tls_context, limiter=limiter,
                refuse=refuse))
        except BaseException:
            for listener in started:
                await listener.close()
            raise
        return started


async def start(ctx: ServerContext, delivery: Delivery | None = None) -> list[RunningListener]:
    """`postroom.app.mail_protocols` entry: the SMTP, submission and submissions listeners."""
    delivery = delivery or ctx.delivery or build_delivery(ctx.settings, ctx.tenancy, ctx.mail)
    return await SmtpServer(ctx, delivery).start()
