"""Transcript harness: an IMAP `Session` driven in process, bytes in, bytes out.

`Transcript.send("a1 NOOP")` feeds one line (CRLF added) and returns everything the
session wrote in answer, as text. No sockets: STARTTLS is simulated by `tls_done()`,
which is what the server calls once the handshake has finished.
"""

from __future__ import annotations

import asyncio
import re

from postroom.app import Services, server_context
from postroom.protocols.common.listener import ConnectionLimiter
from postroom.protocols.imap.session import Session, SessionEnv
from tests.factories import PASSWORD

ADDRESS = "ann@example.org"


class Recorder:
    """An `Output` that keeps what was written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


def imap_env(services: Services, limiter: ConnectionLimiter | None = None,
             **overrides: object) -> SessionEnv:
    env = SessionEnv.from_context(server_context(services), limiter or ConnectionLimiter(10))
    if overrides:
        from dataclasses import replace

        env = replace(env, **overrides)  # type: ignore[arg-type]
    return env


class Transcript:
    def __init__(self, env: SessionEnv, *, peer_ip: str = "127.0.0.1", tls: bool = False):
        self.out = Recorder()
        self.session = Session(env, self.out, peer_ip=peer_ip, tls=tls)
        self.session.start()
        self.greeting = self.out.take().decode()

    async def raw(self, data: bytes) -> bytes:
        await self.session.receive(data)
        return self.out.take()

    async def send(self, line: str | bytes) -> str:
        data = line if isinstance(line, bytes) else line.encode()
        return (await self.raw(data + b"\r\n")).decode("utf-8", "replace")

    async def login(self, address: str = ADDRESS, password: str = PASSWORD) -> str:
        reply = await self.send(f'L1 LOGIN {address} "{password}"')
        assert "L1 OK" in reply, reply
        return reply

    async def select(self, mailbox: str = "INBOX", command: str = "SELECT") -> str:
        reply = await self.send(f"S1 {command} {mailbox}")
        assert "S1 OK" in reply, reply
        return reply

    async def wait_output(self, pattern: str, within: float = 2.0) -> str:
        """Wait for unsolicited output (IDLE) matching ``pattern``; return all of it."""
        seen = ""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            seen += self.out.take().decode("utf-8", "replace")
            if re.search(pattern, seen):
                return seen
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {pattern!r} within {within}s; got {seen!r}")

    def tls_done(self) -> None:
        assert self.session.tls_pending
        self.session.tls_started()

    @property
    def closing(self) -> bool:
        return self.session.closing

    async def close(self) -> None:
        await self.session.close()


def tagged(reply: str, tag: str) -> str:
    """The tagged completion line of ``tag`` in ``reply``."""
    for line in reply.splitlines():
        if line.startswith(tag + " "):
            return line
    raise AssertionError(f"no tagged response for {tag} in {reply!r}")
