"""A real POP3 node on loopback for the end-to-end tests (`tests/e2e/test_pop3_*.py`).

`live_pop3(services, plaintext_auth=...)` binds the POP3 (STLS) and POP3S listeners on
free ports, exactly as `postroom serve` does, and closes them afterwards. Clients are
blocking (stdlib poplib, fetchmail, getmail), so tests run them in a thread or a
subprocess while the server runs on the test's event loop.
"""

from __future__ import annotations

import dataclasses
import poplib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from postroom.app import Services, server_context
from postroom.protocols.common.listener import RunningListener
from postroom.protocols.common.tls import client_context_trusting
from postroom.protocols.pop3.server import Pop3Server, ServerLimits

HOST = "127.0.0.1"


@dataclass
class LivePop3:
    server: Pop3Server
    listeners: list[RunningListener]

    @property
    def port(self) -> int:
        return self.listeners[0].port

    @property
    def tls_port(self) -> int:
        return self.listeners[1].port

    @property
    def cert_path(self) -> Path:
        return self.server.ctx.certificates.cert_path

    def ssl_context(self) -> ssl.SSLContext:
        return client_context_trusting(self.cert_path)

    def client(self) -> poplib.POP3:
        return poplib.POP3(HOST, self.port, timeout=30)

    def tls_client(self) -> poplib.POP3_SSL:
        return poplib.POP3_SSL(HOST, self.tls_port, context=self.ssl_context(), timeout=30)


@asynccontextmanager
async def live_pop3(services: Services, limits: ServerLimits | None = None,
                    **settings: object) -> AsyncIterator[LivePop3]:
    ctx = server_context(services)
    updated = ctx.settings.model_copy(update={"pop3_port": 0, "pop3s_port": 0, **settings})
    server = Pop3Server(dataclasses.replace(ctx, settings=updated), limits or ServerLimits())
    listeners = await server.start()
    try:
        yield LivePop3(server, listeners)
    finally:
        for listener in listeners:
            await listener.close()
