"""Transcript harness: a POP3 `Session` driven in process, bytes in, bytes out.

`Transcript.send("RETR 1")` feeds one line (CRLF added) and returns everything the
session wrote in answer, as text. No sockets: STLS is simulated by `tls_done()`,
which is what the server calls once the handshake has finished.
"""

from __future__ import annotations

from postroom.app import Services, server_context
from postroom.protocols.pop3.server import Pop3Server
from postroom.protocols.pop3.session import Session, SessionEnv
from tests.factories import PASSWORD

ADDRESS = "ann@example.org"


class Recorder:
    """An `Output` that keeps what was written."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.drains = 0

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        self.drains += 1

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


class Transcript:
    def __init__(self, env: SessionEnv, *, peer_ip: str = "127.0.0.1", tls: bool = False) -> None:
        self.out = Recorder()
        self.session = Session(env, self.out, peer_ip=peer_ip, tls=tls)
        self.session.start()
        self.greeting = self.out.take().decode()

    async def raw(self, data: bytes) -> bytes:
        await self.session.receive(data)
        if self.session.closing:
            self.session.close()  # what the server does once the reply is sent
        return self.out.take()

    async def send(self, line: str) -> str:
        return (await self.raw(line.encode() + b"\r\n")).decode("utf-8", "replace")

    async def login(self, address: str = ADDRESS, password: str = PASSWORD) -> str:
        assert (await self.send(f"USER {address}")).startswith("+OK")
        return await self.send(f"PASS {password}")

    def tls_done(self) -> None:
        assert self.session.tls_pending
        self.session.tls_started()

    @property
    def closing(self) -> bool:
        return self.session.closing

    def close(self) -> None:
        self.session.close()


def pop3_server(services: Services) -> Pop3Server:
    """The shared state of one POP3 node over `services`, without listeners."""
    return Pop3Server(server_context(services))
