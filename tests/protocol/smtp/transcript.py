"""Transcript helpers for the SMTP session: bytes in, replies out, no sockets.

`SmtpWorld` builds a store with one organisation (``example.org``: ann, bob, an alias
``team`` -> ann + bob, and ``fwd`` -> an outside address), its delivery services on a
`StaticResolver`, and conversations in MX or submission mode.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from postroom.app import Services
from postroom.delivery import Delivery, build_delivery
from postroom.delivery.dns import StaticResolver
from postroom.protocols.smtp.context import Mode, SessionEnv
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
