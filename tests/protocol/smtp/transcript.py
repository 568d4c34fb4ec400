"""Transcript helpers for the SMTP session: bytes in, replies out, no sockets.

`SmtpWorld` builds a store with one organisation (``example.org``: ann, bob, an alias
``team`` -> ann + bob, and ``fwd`` -> an outside address), its delivery services on a
`StaticResolver`, and conversations in MX or submission mode.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from dataclasses import dataclass
from pathlib import Path

from postroom.app import Services, server_context
from postroom.delivery import Delivery, build_delivery
from postroom.delivery.dns import StaticResolver
from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import RunningListener
from postroom.protocols.common.tls import client_context_trusting
from postroom.protocols.smtp.context import Mode, SessionEnv
from postroom.protocols.smtp.server import SmtpServer
from postroom.protocols.smtp.session import Session
from postroom.protocols.smtp.wire import Conversation
from postroom.store.records import Account
from tests.factories import PASSWORD, make_account, make_org

HOST = "mx.postroom.test"


@dataclass
class SmtpWorld:
    services: Services
    delivery: Delivery
    resolver: StaticResolver
    ann: Account
    bob: Account

    def env(self, mode: Mode = Mode.MX, **overrides: object) -> SessionEnv:
        values: dict[str, object] = dict(
            hostname=HOST, mode=mode, inbound=self.delivery.inbound,
            submitter=self.delivery.submitter, auth=self.services.tenancy.auth,
            organisations=self.services.tenancy.organisations, log=self.delivery.log,
            plaintext_allowed=self.services.settings.plaintext_allowed,
            max_message_size=int(self.services.settings.max_message_size))
        values.update(overrides)
        return SessionEnv(**values)  # type: ignore[arg-type]

    async def talk(self, mode: Mode = Mode.MX, *, peer_ip: str = "192.0.2.10",
                   tls: bool = False, **overrides: object) -> Transcript:
        session = Session(self.env(mode, **overrides), peer_ip=peer_ip, tls=tls)
        t = Transcript(Conversation(session))
        t.greeting = t.conversation.start().decode()
        return t

    async def inbox(self, account: Account, folder: str = "INBOX") -> list[bytes]:
        mail = self.services.mail
        info = await mail.get_folder(account.id, folder)
        return [await mail.read_message(r) for r in await mail.messages(account.id, info.id)]


class Transcript:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.greeting = ""

    @property
    def session(self) -> Session:
        return self.conversation.session

    async def send(self, data: bytes | str) -> str:
        raw = data.encode() if isinstance(data, str) else data
        return (await self.conversation.receive(raw)).decode()

    async def line(self, text: str) -> str:
        return await self.send(text + "\r\n")

    async def ehlo(self, name: str = "client.example.net") -> str:
        return await self.line(f"EHLO {name}")

    async def login(self, user: str = "ann@example.org", password: str = PASSWORD) -> str:
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return await self.line(f"AUTH PLAIN {token}")


def codes(replies: str) -> list[str]:
    """The reply codes of the last line of each reply (`250-...` continuation skipped)."""
    return [line[:3] for line in replies.split("\r\n") if line[3:4] == " "]


async def make_world(services: Services) -> SmtpWorld:
    await make_org(services)
    ann = await make_account(services, "ann@example.org")
    bob = await make_account(services, "bob@example.org")
    await services.tenancy.recipients.add_alias("team@example.org",
                                                ["ann@example.org", "bob@example.org"])
    await services.tenancy.recipients.add_alias("fwd@example.org", ["someone@remote.test"])
    resolver = StaticResolver()
    delivery = build_delivery(services.settings, services.tenancy, services.mail,
                              resolver=resolver)
    return SmtpWorld(services, delivery, resolver, ann, bob)


# --- one dialog, two transports -----------------------------------------------------


class Dialog:
    """Send bytes, get the complete replies: through the session or over a socket."""

    greeting: str

    async def send(self, data: bytes | str, replies: int = 1) -> list[str]:
        raise NotImplementedError

    async def line(self, text: str, replies: int = 1) -> list[str]:
        return await self.send(text + "\r\n", replies)

    async def one(self, text: str) -> str:
        return (await self.line(text))[0]

    async def close(self) -> None:
        pass


def split_replies(text: str) -> list[str]:
    out, current = [], []
    for line in text.split("\r\n"):
        if not line:
            continue
        current.append(line)
        if line[3:4] != "-":
            out.append("\r\n".join(current))
            current = []
    return out


class SessionDialog(Dialog):
    def __init__(self, transcript: Transcript) -> None:
        self.t = transcript
        self.greeting = transcript.greeting.strip()

    async def send(self, data: bytes | str, replies: int = 1) -> list[str]:
        got = split_replies(await self.t.send(data))
        assert len(got) == replies, got
        return got


class SocketDialog(Dialog):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, *, tls: ssl.SSLContext | None = None) -> SocketDialog:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
        d = cls(reader, writer)
        d.greeting = (await d._read(1))[0]
        return d

    async def _read(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            lines = []
            while True:
                line = await asyncio.wait_for(self.reader.readline(), 30)
                if not line:
                    return out
                lines.append(line.decode().rstrip("\r\n"))
                if line[3:4] != b"-":
                    break
            out.append("\r\n".join(lines))
        return out

    async def send(self, data: bytes | str, replies: int = 1) -> list[str]:
        self.writer.write(data.encode() if isinstance(data, str) else data)
        await self.writer.drain()
        return await self._read(replies)

    async def starttls(self, context: ssl.SSLContext) -> None:
        await self.writer.start_tls(context)

    async def at_eof(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(1), 5) == b""
        except (ConnectionError, TimeoutError):
            return True

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass


@dataclass
class Ports:
    mx: int
    submission: int
    submissions: int
    cert: Path


async def start_server(world: SmtpWorld, **settings: object) -> tuple[Ports, list[RunningListener]]:
    """The three listeners on free ports, serving ``world``'s delivery services."""
    services = world.services
    values = {"smtp_port": 0, "submission_port": 0, "submissions_port": 0, **settings}
    configured = services.settings.model_copy(update=values)
    ctx = server_context(services)
    ctx = ServerContext(configured, ctx.certificates, ctx.tenancy, ctx.mail)
    listeners = await SmtpServer(ctx, world.delivery).start()
    ports = Ports(*(listener.port for listener in listeners), ctx.certificates.cert_path)
    return ports, listeners


def client_tls(cert: Path) -> ssl.SSLContext:
    return client_context_trusting(cert)
