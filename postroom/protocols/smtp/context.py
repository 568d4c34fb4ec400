"""What an SMTP session works with: its listener's mode and services (`SessionEnv`),
what the client sends next (`Input`), and the mail transaction in progress.

Plain data shared by `session` and its handler modules, so none of them imports another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from postroom.delivery.inbound import InboundDelivery, InboundTransaction, Spool
from postroom.delivery.log import DeliveryLog
from postroom.delivery.submission import Submitter
from postroom.protocols.smtp.commands import Mail
from postroom.tenancy.auth import Authenticator
from postroom.tenancy.organisations import Organisations


class Mode(StrEnum):
    MX = "mx"  # port 25: hosted domains, AUTH after STARTTLS
    SUBMISSION = "submission"  # 587 (STARTTLS) and 465 (implicit TLS): AUTH required


class Input(StrEnum):
    """What the next bytes from the client are (set by the handlers, read by `wire`)."""

    COMMANDS = "commands"
    DATA = "data"
    CHUNK = "chunk"  # a BDAT chunk of `chunk_size` octets
    DISCARD_CHUNK = "discard-chunk"  # a refused BDAT: read and drop, then `pending`


@dataclass(frozen=True)
class SessionEnv:
    """What every session of one listener shares: services, limits and policy."""

    hostname: str
    mode: Mode
    inbound: InboundDelivery
    submitter: Submitter
    auth: Authenticator
    organisations: Organisations
    log: DeliveryLog
    plaintext_allowed: Callable[[str, bool], bool]
    tls_available: bool = True
    max_message_size: int = 50 * 1024 * 1024
    mx_max_recipients: int = 100
    submission_max_recipients: int = 1000
    sasl_mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN")
    postmaster: str = ""  # where <postmaster> and postmaster@<hostname> go; "" = as is


@dataclass
class Transaction:
    """One MAIL ... DATA/BDAT LAST, inbound (MX) or submitted (after AUTH)."""

    mail: Mail
    queue_id: str
    recipients: list[str] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    refused: int = 0
    inbound: InboundTransaction | None = None  # MX mode without AUTH
    spool: Spool | None = None  # submission: the body, for cleanup and signing

    def write(self, chunk: bytes) -> None:
        if self.inbound is not None:
            self.inbound.write(chunk)
        elif self.spool is not None:
            self.spool.write(chunk)

    def abort(self) -> None:
        if self.inbound is not None:
            self.inbound.abort()
        if self.spool is not None:
            self.spool.close()
