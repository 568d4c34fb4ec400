"""What every protocol server is given by ``postroom.app``: plain values and services.

One object so the three servers are wired alike; each reads only the fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from postroom.config import Settings
from postroom.protocols.common.tls import Certificates
from postroom.store.mailboxes import MailStore
from postroom.tenancy import Tenancy

if TYPE_CHECKING:
    from postroom.delivery import Delivery


@dataclass(frozen=True)
class ServerContext:
    settings: Settings
    certificates: Certificates
    tenancy: Tenancy
    mail: MailStore
    #: The node's one delivery service (built by app); None lets a server build its own.
    delivery: Delivery | None = None

    @property
    def hostname(self) -> str:
        return self.settings.hostname

    def plaintext_allowed(self, peer_ip: str, tls: bool) -> bool:
        """May this client send a password now (POSTROOM_PLAINTEXT_AUTH)?"""
        return self.settings.plaintext_allowed(peer_ip, tls)
