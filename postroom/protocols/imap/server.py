"""The IMAP listeners: ``imap_port`` (143-style, STARTTLS) and ``imaps_port`` (993-style,
implicit TLS), and the loop that moves bytes between a socket and a ``Session``.

This is the only IMAP module that touches sockets. Per connection: greeting, then read
whatever arrives and hand it to the session, until the session is closing, the client
goes away or it stays silent longer than the autologout timer (RFC 9051 5.4: at least
30 minutes; IDLE clients re-issue IDLE before that, RFC 2177 3).

Invariants:
- The STARTTLS handshake happens here, after the session wrote its OK, and anything the
  client pipelined behind STARTTLS is dropped (``Connection.start_tls`` and
  ``Session.tls_started``).
- ``Session.close`` runs whatever ends the connection, so an APPEND being streamed is
  aborted, the change feed subscription is closed and the user+IP slot is freed.
- At most ``imap_connections_per_user_ip`` sessions per account and client address
  (DESIGN 5), counted at login across both listeners.
"""

from __future__ import annotations

import asyncio
import ssl

from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import (
    Connection,
    ConnectionLimiter,
    Handler,
    RunningListener,
    start_listener,
)

from .session import Session, SessionEnv

__all__ = ["AUTOLOGOUT_SECONDS", "serve_connection", "start"]

AUTOLOGOUT_SECONDS = 30 * 60 + 60  # RFC 9051 5.4: "at least 30 minutes"
_READ_SIZE = 64 * 1024


async def serve_connection(conn: Connection, env: SessionEnv, tls: ssl.SSLContext,
                           autologout: float = AUTOLOGOUT_SECONDS) -> None:
    """Run one session over ``conn`` until it ends."""
    session = Session(env, conn.writer, peer_ip=conn.peer_ip, tls=conn.tls)
    session.start()
    try:
        await conn.writer.drain()
        while not session.closing:
            try:
                data = await asyncio.wait_for(conn.reader.read(_READ_SIZE), autologout)
            except TimeoutError:
                session.timeout_bye()
                await conn.writer.drain()
                break
            if not data:
                break
            await session.receive(data)
            if session.tls_pending:
                await conn.start_tls(tls)  # RFC 9051 6.2.1
                session.tls_started()
    finally:
        await session.close()


def _handler(env: SessionEnv, tls: ssl.SSLContext) -> Handler:
    async def handle(conn: Connection) -> None:
        await serve_connection(conn, env, tls)

    return handle


async def start(ctx: ServerContext) -> list[RunningListener]:
    """Start both IMAP listeners (an entry of ``postroom.app.mail_protocols``)."""
    settings = ctx.settings
    tls = ctx.certificates.context
    per_user_ip = ConnectionLimiter(settings.imap_connections_per_user_ip)
    plain_env = SessionEnv.from_context(ctx, per_user_ip, starttls=True)
    tls_env = SessionEnv.from_context(ctx, per_user_ip, starttls=False)
    imap = await start_listener("imap", settings.listen_address, settings.imap_port,
                                _handler(plain_env, tls))
    try:
        imaps = await start_listener("imaps", settings.listen_address, settings.imaps_port,
                                     _handler(tls_env, tls), tls=tls)
    except BaseException:
        await imap.close()
        raise
    return [imap, imaps]
