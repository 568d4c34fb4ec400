"""A second SMTP server on 127.0.0.1 for outbound tests (aiosmtpd), and DNS for it.

`Peer` records every message it accepts; `replies` lets a test script the answers to
RCPT or DATA (a 4xx first, then 2xx; a 5xx for one address).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.hazmat.primitives import serialization

from postroom.delivery.dns import StaticResolver
from postroom.store.records import Domain
from tests.ports import free_port


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes


@dataclass
class PeerHandler:
    messages: list[Received] = field(default_factory=list)
    rcpt_reply: Callable[[str], str | None] = lambda address: None
    data_replies: list[str] = field(default_factory=list)  # used up one per DATA

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        assert isinstance(envelope.content, bytes)
        self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                      envelope.content))
        return "250 2.0.0 Queued"


class Peer:
    def __init__(self) -> None:
        self.handler = PeerHandler()
        self._port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self._port,
                                     decode_data=False)

    def __enter__(self) -> Peer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


def remote_dns(resolver: StaticResolver, domain: str = "remote.test") -> None:
    """MX for ``domain`` pointing at 127.0.0.1."""
    resolver.add(domain, "MX", f"10 mx.{domain}.")
    resolver.add(f"mx.{domain}", "A", "127.0.0.1")


def publish_dkim(resolver: StaticResolver, domain: Domain) -> None:
    key = serialization.load_pem_private_key(domain.dkim_private_key.encode(), None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    resolver.add(f"{domain.dkim_selector}._domainkey.{domain.name}", "TXT",
                 f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}")
