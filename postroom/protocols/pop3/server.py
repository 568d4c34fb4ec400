"""The POP3 listeners: port 110 with STLS and port 995 with implicit TLS (RFC 8314 3.3).

The only module of the package that touches sockets. `start(ctx)` binds both listeners
on the configured ports (`pop3_port`, `pop3s_port`) and serves each connection with a
`Session`; `Pop3Server` holds what sessions share (maildrop locks, the size cache).

Invariants:

- Reads are bounded: at most `READ_SIZE` octets are read at a time and all of them are
  handled before the next read, so a session buffers at most one read plus one partial
  line (the reader's line limits).
- A client idle for `idle_timeout` seconds is told so and disconnected; RFC 1939 3
  wants the autologout timer to be at least 10 minutes. The timeout never deletes.
- STLS: the +OK is flushed, the bytes the client pipelined after it are discarded
  (`Connection.start_tls` and the session's reader), and only then does the handshake
  start (RFC 2595 4).
- A session ends by QUIT, timeout, disconnect or shutdown; whichever it is,
  `Session.close` runs and releases the maildrop lock. Only QUIT deletes.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import (
    Connection,
    ConnectionLimiter,
    RunningListener,
    start_listener,
)
from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.maildrop import MaildropLocks, SizeCache
from postroom.protocols.pop3.session import Session, SessionEnv

log = logging.getLogger("postroom.pop3")

READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class ServerLimits:
    """Connection limits of the POP3 listeners."""

    connections_per_ip: int = 20
    idle_timeout: float = 600.0  # RFC 1939 3: at least 10 minutes


@dataclass
class Pop3Server:
    """What the sessions of one node share."""

    ctx: ServerContext
    limits: ServerLimits = field(default_factory=ServerLimits)
    locks: MaildropLocks = field(default_factory=MaildropLocks)
    sizes: SizeCache = field(default_factory=SizeCache)

    @property
    def tls_context(self) -> ssl.SSLContext:
        return self.ctx.certificates.context

    def env(self) -> SessionEnv:
        return SessionEnv(
            mail=self.ctx.mail,
            auth=self.ctx.tenancy.auth,
            locks=self.locks,
            sizes=self.sizes,
            plaintext_allowed=self.ctx.plaintext_allowed,
            tls_available=True,
        )

    async def handle(self, conn: Connection) -> None:
        """Serve one connection until QUIT, timeout or disconnect."""
        session = Session(self.env(), conn.writer, peer_ip=conn.peer_ip, tls=conn.tls)
        try:
            session.start()
            await conn.writer.drain()
            await self._serve(conn, session)
        finally:
            session.close()

    async def _serve(self, conn: Connection, session: Session) -> None:
        while not session.closing:
            try:
                data = await asyncio.wait_for(conn.reader.read(READ_SIZE),
                                              self.limits.idle_timeout)
            except TimeoutError:
                session.write(replies.TIMEOUT)
                await conn.writer.drain()
                return
            if not data:
                return
            await session.receive(data)
            await conn.writer.drain()
            if session.tls_pending:
                await conn.start_tls(self.tls_context)  # RFC 2595 4
                session.tls_started()

    async def start(self) -> list[RunningListener]:
        settings = self.ctx.settings
        limiter = ConnectionLimiter(self.limits.connections_per_ip)
        refuse = replies.TOO_MANY_CONNECTIONS.to_bytes()
        plain = await start_listener("pop3", settings.listen_address, settings.pop3_port,
                                     self.handle, limiter=limiter, refuse=refuse)
        try:
            secure = await start_listener("pop3s", settings.listen_address,
                                          settings.pop3s_port, self.handle,
                                          tls=self.tls_context, limiter=limiter, refuse=refuse)
        except BaseException:
            await plain.close()
            raise
        return [plain, secure]


async def start(ctx: ServerContext) -> list[RunningListener]:
    """`postroom.app.mail_protocols` entry: the POP3 and POP3S listeners."""
    return await Pop3Server(ctx).start()
