"""TCP listeners with per-key connection limits, shared by SMTP, IMAP and POP3.

A protocol gives a ``handler(conn)`` coroutine; ``start_listener`` binds, wraps each
accepted socket in a ``Connection`` (reader, writer, peer address, TLS state) and runs the
handler in its own task. Connections over the per-IP limit are refused with the
protocol's own one-line reply before the handler runs. Closing the listener closes the
server and cancels the open sessions.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field

log = logging.getLogger("postroom.listener")


class ConnectionLimiter:
    """At most ``limit`` concurrent holders per key (an IP, or a user and an IP)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._count: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        if self._count[key] >= self.limit:
            return False
        self._count[key] += 1
        return True

    def release(self, key: str) -> None:
        self._count[key] -= 1
        if self._count[key] <= 0:
            del self._count[key]

    def count(self, key: str) -> int:
        return self._count.get(key, 0)


@dataclass
class Connection:
    """One client connection; ``start_tls`` upgrades it in place (STARTTLS/STLS)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer_ip: str
    local_port: int
    tls: bool

    async def start_tls(self, context: ssl.SSLContext) -> None:
        # Anything the client pipelined after STARTTLS is in the reader's buffer and is
        # discarded here (STARTTLS injection, RFC 3207 4.2 / CVE-2011-0411).
        self.reader._buffer.clear()  # type: ignore[attr-defined]
        await self.writer.start_tls(context)
        self.tls = True

    async def close(self) -> None:
        with suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 5)


Handler = Callable[[Connection], Awaitable[None]]


@dataclass
class RunningListener:
    name: str
    address: str
    server: asyncio.Server
    sessions: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.server.close()
        for task in list(self.sessions):
            task.cancel()
        if self.sessions:
            await asyncio.wait(self.sessions, timeout=5)
        with suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 5)


async def start_listener(
    name: str,
    host: str,
    port: int,
    handler: Handler,
    *,
    tls: ssl.SSLContext | None = None,
    limiter: ConnectionLimiter | None = None,
    refuse: bytes = b"",
) -> RunningListener:
    """Bind ``host:port`` and serve each connection with ``handler``.

    ``tls`` makes it an implicit-TLS listener (465, 993, 995). ``refuse`` is written to a
    client over the ``limiter``'s per-IP limit before closing.
    """
    holder: list[RunningListener] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        sock = writer.get_extra_info("sockname") or ("", 0)
        conn = Connection(reader, writer, str(peer[0]), int(sock[1]), tls is not None)
        if limiter is not None and not limiter.acquire(conn.peer_ip):
            with suppress(Exception):
                writer.write(refuse)
                await writer.drain()
            await conn.close()
            return
        task = asyncio.current_task()
        if holder and task is not None:
            holder[0].sessions.add(task)
        try:
            await handler(conn)
        except asyncio.CancelledError:
            # The listener is closing. Returning normally keeps asyncio's stream callback
            # from logging the cancellation as an error.
            pass
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except Exception:
            log.exception("%s session from %s failed", name, conn.peer_ip)
        finally:
            if limiter is not None:
                limiter.release(conn.peer_ip)
            if holder and task is not None:
                holder[0].sessions.discard(task)
            await conn.close()

    server = await asyncio.start_server(on_connect, host, port, ssl=tls, limit=256 * 1024)
    bound = server.sockets[0].getsockname()
    shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
    listener = RunningListener(name, f"{shown}:{bound[1]}" + (" (TLS)" if tls else ""), server)
    holder.append(listener)
    return listener
