"""Factories for test objects: organisations, accounts and messages."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from postroom.app import Services
from postroom.store.records import Account, Organisation

PASSWORD = "correct horse battery"


async def make_org(services: Services, name: str = "Example College",
                   domain: str = "example.org", mailboxes: int = 10,
                   storage: int = 10 * 1024**3, smtp_access: bool = True) -> Organisation:
    org = await services.tenancy.organisations.create(
        name, mailboxes=mailboxes, storage=storage, smtp_access=smtp_access)
    await services.tenancy.organisations.add_domain(name, domain)
    return org


async def make_account(services: Services, address: str = "ann@example.org",
                       quota: int = 100 * 1024**2, password: str = PASSWORD) -> Account:
    return await services.tenancy.accounts.add(address, password, quota=quota)


def make_message(subject: str = "Hello", body: str = "Hello there.\n",
                 sender: str = "Bob <bob@example.net>", to: str = "ann@example.org",
                 date: datetime | None = None, attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<{abs(hash((subject, body)))}@example.net>"
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="octet-stream",
                           filename="data.bin")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
