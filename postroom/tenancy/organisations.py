"""Organisations and their domains.

An organisation is a customer with the service: a mailbox allocation, a storage
allocation, SMTP access (yes/no, as applied for) and funding (``central`` or
``charged``). Each hosted domain belongs to one organisation and has its own DKIM key,
made when the domain is added.

Invariants: domain names are canonical (lowercase A-labels); an allocation can never be
lowered below what the organisation already uses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from postroom.errors import Invalid, OverAllocation
from postroom.mail.addresses import normalize_domain
from postroom.store import directory
from postroom.store.db import Database
from postroom.store.records import Domain, DomainStatus, Funding, Organisation, OrgUsage

DEFAULT_MAILBOXES = 100
DEFAULT_STORAGE = 100 * 1024**3
DEFAULT_MESSAGES_PER_DAY = 1000
DEFAULT_NEW_RECIPIENTS_PER_DAY = 500


@dataclass(frozen=True)
class OrgSummary:
    organisation: Organisation
    usage: OrgUsage
    domains: tuple[str, ...]


def generate_dkim_key() -> str:
    """A new 2048-bit RSA private key, PEM (PKCS#8)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


class Organisations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        name: str,
        *,
        mailboxes: int = DEFAULT_MAILBOXES,
        storage: int = DEFAULT_STORAGE,
        smtp_access: bool = True,
        funding: Funding = Funding.CHARGED,
        messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
        new_recipients_per_day: int = DEFAULT_NEW_RECIPIENTS_PER_DAY,
        allow_forwarding: bool = True,
    ) -> Organisation:
        name = name.strip()
        if not name or len(name) > 200:
            raise Invalid("an organisation needs a name of 1 to 200 characters")
        if mailboxes < 1:
            raise Invalid("the mailbox allocation must be at least 1")
        if storage < 1024**2:
            raise Invalid("the storage allocation must be at least 1 MiB")
        async with self.db.write() as conn:
            return await directory.create_organisation(
                conn,
                name=name,
                mailbox_allocation=mailboxes,
                storage_allocation=storage,
                smtp_access=smtp_access,
                funding=Funding(funding).value,
                max_messages_per_day=messages_per_day,
                max_new_recipients_per_day=new_recipients_per_day,
                allow_forwarding=allow_forwarding,
            )

    async def get(self, name: str) -> Organisation:
        async with self.db.read() as conn:
            return await directory.get_organisation(conn, name=name)

    async def get_by_id(self, org_id: int) -> Organisation:
        async with self.db.read() as conn:
            return await directory.get_organisation(conn, id=org_id)

    async def list_all(self) -> list[OrgSummary]:
        async with self.db.read() as conn:
            out = []
            for org in await directory.list_organisations(conn):
                usage = await directory.organisation_usage(conn, org.id)
                domains = tuple(d.name for d in await directory.list_domains(conn, org.id))
                out.append(OrgSummary(org, usage, domains))
            return out

    async def set_allocation(
        self, org_id: int, *, mailboxes: int | None = None, storage: int | None = None
    ) -> Organisation:
        """Change the allocation (a request for change); never below what is in use."""
        async with self.db.write() as conn:
            usage = await directory.organisation_usage(conn, org_id)
            values: dict[str, int] = {}
            if mailboxes is not None:
                if mailboxes < usage.mailboxes:
                    raise OverAllocation(
                        f"the organisation has {usage.mailboxes} mailboxes; remove some "
                        f"before lowering the allocation to {mailboxes}")
                values["mailbox_allocation"] = mailboxes
            if storage is not None:
                if storage < usage.quota_total:
                    raise OverAllocation(
                        "the mailboxes' quotas add up to more than that storage allocation")
                values["storage_allocation"] = storage
            if values:
                await directory.update_organisation(conn, org_id, **values)
            return await directory.get_organisation(conn, id=org_id)

    async def set_smtp_access(self, org_id: int, allowed: bool) -> None:
        async with self.db.write() as conn:
            await directory.update_organisation(conn, org_id, smtp_access=allowed)

    # --- domains ------------------------------------------------------------------

    async def add_domain(self, org_name: str, domain_name: str) -> Domain:
        name = normalize_domain(domain_name)
        key = await asyncio.to_thread(generate_dkim_key)
        async with self.db.write() as conn:
            org = await directory.get_organisation(conn, name=org_name)
            return await directory.create_domain(
                conn,
                organisation_id=org.id,
                name=name,
                status=DomainStatus.PENDING_DNS.value,
                dkim_selector="postroom1",
                dkim_private_key=key,
            )

    async def domains(self, org_id: int | None = None) -> list[Domain]:
        async with self.db.read() as conn:
            return await directory.list_domains(conn, org_id)

    async def find_domain(self, name: str) -> Domain | None:
        try:
            canonical = normalize_domain(name)
        except Invalid:
            return None
        async with self.db.read() as conn:
            return await directory.find_domain(conn, canonical)

    async def set_domain_status(self, domain_id: int, status: DomainStatus) -> None:
        async with self.db.write() as conn:
            await directory.update_domain(conn, domain_id, status=status.value)
