"""Accounts (mailboxes) within an organisation's allocation.

Rules:
- The login is the full address, canonical (lowercase local part, A-label domain); the
  domain must be hosted, and the account belongs to the domain's organisation.
- An organisation never has more live (not terminated) accounts than its mailbox
  allocation, and their quotas never add up to more than its storage allocation: both
  are checked inside the write transaction that creates or changes the account.
- An address is either an account or an alias, never both.
- Status: ``active`` accounts log in and receive mail; ``suspended`` accounts receive
  mail but cannot log in or send; ``terminated`` accounts do neither (their mail is kept
  until they are deleted).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import AlreadyExists, Invalid, NotFound, OverAllocation
from postroom.mail.addresses import canonical_address, split_address
from postroom.store import directory
from postroom.store.blobs import BlobStore
from postroom.store.db import Database
from postroom.store.mailboxes import collect_orphans
from postroom.store.records import Account, AccountStatus, Organisation, Role
from postroom.tenancy.passwords import Passwords, check_password_rules


class Accounts:
    def __init__(self, db: Database, passwords: Passwords, blobs: BlobStore,
                 default_quota: int) -> None:
        self.db = db
        self.passwords = passwords
        self.blobs = blobs
        self.default_quota = default_quota

    async def add(
        self,
        address: str,
        password: str,
        *,
        quota: int | None = None,
        role: Role = Role.USER,
        display_name: str = "",
    ) -> Account:
        address = canonical_address(address)
        _, domain_name = split_address(address)
        reason = check_password_rules(password)
        if reason:
            raise Invalid(reason)
        quota = self.default_quota if quota is None else quota
        if quota < 1024 * 1024:
            raise Invalid("a mailbox quota must be at least 1 MiB")
        password_hash = await self.passwords.hash(password)
        async with self.db.write() as conn:
            domain = await directory.find_domain(conn, domain_name)
            if domain is None:
                raise NotFound(f"{domain_name} is not a hosted domain")
            if await directory.find_alias(conn, address) is not None:
                raise AlreadyExists(f"{address} is an alias already")
            org = await directory.get_organisation(conn, id=domain.organisation_id)
            await _check_allocation(conn, org, extra_mailboxes=1, extra_quota=quota)
            return await directory.create_account(
                conn,
                organisation_id=org.id,
                domain_id=domain.id,
                address=address,
                display_name=display_name.strip()[:200],
                password_hash=password_hash,
                role=Role(role).value,
                quota=quota,
            )

    async def get(self, address: str) -> Account:
        async with self.db.read() as conn:
            return await directory.get_account(conn, address=canonical_address(address))

    async def get_by_id(self, account_id: int) -> Account:
        async with self.db.read() as conn:
            return await directory.get_account(conn, id=account_id)

    async def list_all(self, org_id: int | None = None) -> list[Account]:
        async with self.db.read() as conn:
            return await directory.list_accounts(conn, org_id)

    async def set_password(self, address: str, password: str) -> None:
        reason = check_password_rules(password)
        if reason:
            raise Invalid(reason)
        password_hash = await self.passwords.hash(password)
        async with self.db.write() as conn:
            account = await directory.get_account(conn, address=canonical_address(address))
            await directory.update_account(conn, account.id, password_hash=password_hash,
                                           password_changed_at=datetime.now(UTC))

    async def set_status(self, address: str, status: AccountStatus) -> Account:
        async with self.db.write() as conn:
            account = await directory.get_account(conn, address=canonical_address(address))
            if account.status is AccountStatus.TERMINATED and status is not account.status:
                org = await directory.get_organisation(conn, id=account.organisation_id)
                await _check_allocation(conn, org, extra_mailboxes=1, extra_quota=account.quota)
            await directory.update_account(conn, account.id, status=status.value)
            return await directory.get_account(conn, id=account.id)

    async def set_quota(self, address: str, quota: int) -> Account:
        if quota < 1024 * 1024:
            raise Invalid("a mailbox quota must be at least 1 MiB")
        async with self.db.write() as conn:
            account = await directory.get_account(conn, address=canonical_address(address))
            org = await directory.get_organisation(conn, id=account.organisation_id)
            await _check_allocation(conn, org, extra_mailboxes=0,
                                    extra_quota=quota - account.quota)
            await directory.update_account(conn, account.id, quota=quota)
            return await directory.get_account(conn, id=account.id)

    async def set_display_name(self, address: str, name: str) -> None:
        async with self.db.write() as conn:
            account = await directory.get_account(conn, address=canonical_address(address))
            await directory.update_account(conn, account.id, display_name=name.strip()[:200])

    async def delete(self, address: str) -> None:
        """Remove the account with all its mail (this cannot be undone)."""
        async with self.db.write() as conn:
            account = await directory.get_account(conn, address=canonical_address(address))
            orphans = await directory.delete_account(conn, account.id)
        await collect_orphans(self.db, self.blobs, orphans)

    async def send_as_addresses(self, account: Account) -> list[str]:
        """The addresses the account may send as: its own and the aliases that reach it."""
        async with self.db.read() as conn:
            return [account.address, *await directory.aliases_targeting(conn, account.address)]


async def _check_allocation(conn: AsyncConnection, org: Organisation, *,
                            extra_mailboxes: int, extra_quota: int) -> None:
    usage = await directory.organisation_usage(conn, org.id)
    if usage.mailboxes + extra_mailboxes > org.mailbox_allocation:
        raise OverAllocation(
            f"{org.name} has used all {org.mailbox_allocation} mailboxes of its allocation; "
            "ask for more with a request for change")
    if usage.quota_total + extra_quota > org.storage_allocation:
        raise OverAllocation(
            f"the quotas of {org.name}'s mailboxes would exceed its storage allocation; "
            "choose a smaller quota or ask for more storage with a request for change")
