"""Aliases and recipient resolution: which accounts does an address reach?

Resolution (used by SMTP RCPT, the web mail's send path and notices):
1. The domain is compared case-insensitively (canonical A-labels); a domain that is not
   hosted is not ours (``Resolution.hosted`` is False: the MX refuses to relay).
2. An account with exactly that address wins; then an alias; then, with a ``+tag``
   sub-address (``ann+lists@example.org``), the same lookups for the base address.
3. Alias targets are resolved again (aliases of aliases), up to ``MAX_ALIAS_DEPTH``
   levels and without loops; targets outside the hosted domains are returned as
   ``external`` (forwarding) for the delivery layer to queue.
4. Terminated accounts receive nothing; suspended ones still receive.
5. The role addresses ``postmaster@`` (RFC 5321 4.5.1: every domain MUST accept it) and
   ``abuse@`` (RFC 2142) of a hosted domain, when no account or alias of that name
   exists, reach the organisation's administrators (``org_admin`` accounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import AlreadyExists, Invalid, NotFound
from postroom.mail.addresses import base_local_part, canonical_address, split_address
from postroom.store import directory
from postroom.store.db import Database
from postroom.store.records import Account, AccountStatus, Alias, Role

MAX_ALIAS_DEPTH = 5
MAX_ALIAS_TARGETS = 100
#: Local parts that every hosted domain answers (RFC 5321 4.5.1, RFC 2142 5).
ROLE_ADDRESSES = ("postmaster", "abuse")


@dataclass
class Resolution:
    """What one recipient address reaches."""

    address: str
    hosted: bool
    accounts: list[Account] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    @property
    def deliverable(self) -> bool:
        return bool(self.accounts or self.external)


class Recipients:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_alias(self, address: str, targets: list[str]) -> Alias:
        address = canonical_address(address)
        _, domain_name = split_address(address)
        if not targets:
            raise Invalid("an alias needs at least one target address")
        if len(targets) > MAX_ALIAS_TARGETS:
            raise Invalid(f"an alias can have at most {MAX_ALIAS_TARGETS} targets")
        canonical_targets = [canonical_address(t) for t in targets]
        if address in canonical_targets:
            raise Invalid("an alias cannot point at itself")
        async with self.db.write() as conn:
            domain = await directory.find_domain(conn, domain_name)
            if domain is None:
                raise NotFound(f"{domain_name} is not a hosted domain")
            if await directory.find_account(conn, address) is not None:
                raise AlreadyExists(f"{address} is an account already")
            return await directory.create_alias(conn, domain.id, address, canonical_targets)

    async def remove_alias(self, address: str) -> None:
        async with self.db.write() as conn:
            await directory.delete_alias(conn, canonical_address(address))

    async def aliases(self, domain_id: int | None = None) -> list[Alias]:
        async with self.db.read() as conn:
            return await directory.list_aliases(conn, domain_id)

    async def resolve(self, address: str) -> Resolution:
        """Which accounts (and outside addresses) ``address`` reaches."""
        try:
            address = canonical_address(address)
        except Invalid:
            return Resolution(address, hosted=False)
        _, domain_name = split_address(address)
        async with self.db.read() as conn:
            domain = await directory.find_domain(conn, domain_name)
            if domain is None:
                return Resolution(address, hosted=False)
            result = Resolution(address, hosted=True)
            await self._expand(conn, address, result, depth=0, seen=set())
            local = base_local_part(address.rpartition("@")[0])
            if not result.deliverable and local in ROLE_ADDRESSES:
                result.accounts = [
                    a for a in await directory.list_accounts(conn, domain.organisation_id)
                    if a.role is Role.ORG_ADMIN and a.status is not AccountStatus.TERMINATED]
        return result

    async def _expand(self, conn: AsyncConnection, address: str, result: Resolution,
                      depth: int, seen: set[str]) -> None:
        if address in seen or depth > MAX_ALIAS_DEPTH:
            return
        seen.add(address)
        local, domain_name = split_address(address)
        candidates = [address]
        base = base_local_part(local)
        if base != local:
            candidates.append(f"{base}@{domain_name}")
        for candidate in candidates:
            account = await directory.find_account(conn, candidate)
            if account is not None:
                if account.status is not AccountStatus.TERMINATED and all(
                        a.id != account.id for a in result.accounts):
                    result.accounts.append(account)
                return
            alias = await directory.find_alias(conn, candidate)
            if alias is not None:
                for target in alias.targets:
                    await self._expand_target(conn, target, result, depth + 1, seen)
                return

    async def _expand_target(self, conn: AsyncConnection, target: str, result: Resolution,
                             depth: int, seen: set[str]) -> None:
        _, domain_name = split_address(target)
        if await directory.find_domain(conn, domain_name) is None:
            if target not in result.external:
                result.external.append(target)
            return
        await self._expand(conn, target, result, depth, seen)
