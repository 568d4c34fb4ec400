"""The directory tables: organisations, domains, accounts, aliases, operators, throttles.

This module only reads and writes rows; the rules (allocations, password hashing, who may
do what) live in ``postroom.tenancy``, which calls these functions inside transactions it
opens with ``Database.read`` / ``Database.write``.

Invariants:
- Addresses and domain names are stored in their canonical form (lowercase, IDNA
  A-labels); callers canonicalise with ``postroom.mail.addresses`` before they get here.
- Creating an account creates its default folders in the same transaction.
- Deleting an account removes its messages through ``messages.expunge`` so blob
  reference counts stay right; the orphaned blob hashes are returned for unlinking.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import AlreadyExists, NotFound
from postroom.store import folders, messages
from postroom.store import schema as s
from postroom.store.records import (
    Account,
    AccountStatus,
    Alias,
    Domain,
    DomainStatus,
    Funding,
    Operator,
    Organisation,
    OrgStatus,
    OrgUsage,
    Role,
    Throttle,
)

R = TypeVar("R")
_ENUMS: dict[str, Any] = {
    "organisation.status": OrgStatus,
    "organisation.funding": Funding,
    "domain.status": DomainStatus,
    "account.status": AccountStatus,
    "account.role": Role,
}


def _record(cls: type[R], table: str, row: Any) -> R:
    m = row._mapping
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = m[f.name]
        enum = _ENUMS.get(f"{table}.{f.name}")
        values[f.name] = enum(value) if enum is not None else value
    return cls(**values)


def _now() -> datetime:
    return datetime.now(UTC)


async def _insert_returning(conn: AsyncConnection, table: Any, values: dict[str, Any],
                            what: str) -> Any:
    try:
        async with conn.begin_nested():
            return (await conn.execute(insert(table).values(**values).returning(*table.c))).one()
    except IntegrityError:
        raise AlreadyExists(f"{what} exists already") from None


# --- organisations ----------------------------------------------------------------


async def create_organisation(conn: AsyncConnection, **values: Any) -> Organisation:
    values.setdefault("status", OrgStatus.ACTIVE.value)
    values["created_at"] = _now()
    row = await _insert_returning(conn, s.organisation, values,
                                  f"an organisation named {values['name']!r}")
    return _record(Organisation, "organisation", row)


async def get_organisation(conn: AsyncConnection, *, id: int | None = None,
                           name: str | None = None) -> Organisation:
    c = s.organisation.c
    q = select(s.organisation).where(c.id == id if id is not None else c.name == name)
    row = (await conn.execute(q)).first()
    if row is None:
        raise NotFound(f"no organisation {name or id!r}")
    return _record(Organisation, "organisation", row)


async def list_organisations(conn: AsyncConnection) -> list[Organisation]:
    rows = await conn.execute(select(s.organisation).order_by(s.organisation.c.name))
    return [_record(Organisation, "organisation", r) for r in rows]


async def update_organisation(conn: AsyncConnection, org_id: int, **values: Any) -> None:
    await conn.execute(update(s.organisation).where(s.organisation.c.id == org_id).values(**values))


async def organisation_usage(conn: AsyncConnection, org_id: int) -> OrgUsage:
    a = s.account.c
    row = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(a.quota), 0),
                   func.coalesce(func.sum(a.usage), 0))
            .where(a.organisation_id == org_id, a.status != AccountStatus.TERMINATED.value)
        )
    ).one()
    return OrgUsage(int(row[0]), int(row[1]), int(row[2]))


# --- domains --------------------------------------------------------------------------


async def create_domain(conn: AsyncConnection, **values: Any) -> Domain:
    values.setdefault("status", DomainStatus.PENDING_DNS.value)
    values["created_at"] = _now()
    row = await _insert_returning(conn, s.domain, values, f"the domain {values['name']!r}")
    return _record(Domain, "domain", row)


async def get_domain(conn: AsyncConnection, name: str) -> Domain:
    row = (await conn.execute(select(s.domain).where(s.domain.c.name == name))).first()
    if row is None:
        raise NotFound(f"no hosted domain {name!r}")
    return _record(Domain, "domain", row)


async def find_domain(conn: AsyncConnection, name: str) -> Domain | None:
    try:
        return await get_domain(conn, name)
    except NotFound:
        return None


async def list_domains(conn: AsyncConnection, org_id: int | None = None) -> list[Domain]:
    q = select(s.domain).order_by(s.domain.c.name)
    if org_id is not None:
        q = q.where(s.domain.c.organisation_id == org_id)
    return [_record(Domain, "domain", r) for r in await conn.execute(q)]


async def update_domain(conn: AsyncConnection, domain_id: int, **values: Any) -> None:
    await conn.execute(update(s.domain).where(s.domain.c.id == domain_id).values(**values))


# --- accounts -------------------------------------------------------------------------


async def create_account(conn: AsyncConnection, **values: Any) -> Account:
    values.setdefault("status", AccountStatus.ACTIVE.value)
    values.setdefault("usage", 0)
    values.setdefault("last_uidvalidity", 0)
    values["created_at"] = values["password_changed_at"] = _now()
    row = await _insert_returning(conn, s.account, values, f"the account {values['address']!r}")
    account = _record(Account, "account", row)
    await folders.create_defaults(conn, account.id)
    return account


async def find_account(conn: AsyncConnection, address: str) -> Account | None:
    row = (await conn.execute(select(s.account).where(s.account.c.address == address))).first()
    return None if row is None else _record(Account, "account", row)


async def get_account(conn: AsyncConnection, *, id: int | None = None,
                      address: str | None = None) -> Account:
    c = s.account.c
    q = select(s.account).where(c.id == id if id is not None else c.address == address)
    row = (await conn.execute(q)).first()
    if row is None:
        raise NotFound(f"no account {address or id!r}")
    return _record(Account, "account", row)


async def list_accounts(conn: AsyncConnection, org_id: int | None = None) -> list[Account]:
    q = select(s.account).order_by(s.account.c.address)
    if org_id is not None:
        q = q.where(s.account.c.organisation_id == org_id)
    return [_record(Account, "account", r) for r in await conn.execute(q)]


async def update_account(conn: AsyncConnection, account_id: int, **values: Any) -> None:
    await conn.execute(update(s.account).where(s.account.c.id == account_id).values(**values))


async def delete_account(conn: AsyncConnection, account_id: int) -> list[str]:
    """Remove the account, its folders and messages. Returns orphaned blob hashes."""
    orphans: list[str] = []
    for folder in await folders.list_all(conn, account_id):
        uids = [r.uid for r in await messages.rows(conn, folder.id)]
        _, _, gone, _ = await messages.expunge(conn, folder, uids)
        orphans += gone
    await conn.execute(delete(s.folder).where(s.folder.c.account_id == account_id))
    await conn.execute(delete(s.account).where(s.account.c.id == account_id))
    return orphans


# --- aliases --------------------------------------------------------------------------


async def create_alias(conn: AsyncConnection, domain_id: int, address: str,
                       targets: list[str]) -> Alias:
    row = await _insert_returning(conn, s.alias,
                                  {"domain_id": domain_id, "address": address,
                                   "created_at": _now()}, f"the alias {address!r}")
    await conn.execute(insert(s.alias_target),
                       [{"alias_id": row.id, "target": t} for t in dict.fromkeys(targets)])
    return Alias(row.id, domain_id, address, tuple(dict.fromkeys(targets)))


async def find_alias(conn: AsyncConnection, address: str) -> Alias | None:
    row = (await conn.execute(select(s.alias).where(s.alias.c.address == address))).first()
    if row is None:
        return None
    targets = (
        await conn.execute(
            select(s.alias_target.c.target)
            .where(s.alias_target.c.alias_id == row.id)
            .order_by(s.alias_target.c.target)
        )
    ).scalars()
    return Alias(row.id, row.domain_id, row.address, tuple(targets))


async def list_aliases(conn: AsyncConnection, domain_id: int | None = None) -> list[Alias]:
    q = select(s.alias.c.address).order_by(s.alias.c.address)
    if domain_id is not None:
        q = q.where(s.alias.c.domain_id == domain_id)
    out = []
    for address in (await conn.execute(q)).scalars():
        alias = await find_alias(conn, address)
        if alias is not None:
            out.append(alias)
    return out


async def aliases_targeting(conn: AsyncConnection, target: str) -> list[str]:
    """Alias addresses that deliver to ``target`` (the send-as identities of an account)."""
    q = (
        select(s.alias.c.address)
        .select_from(s.alias.join(s.alias_target, s.alias_target.c.alias_id == s.alias.c.id))
        .where(s.alias_target.c.target == target)
        .order_by(s.alias.c.address)
    )
    return list((await conn.execute(q)).scalars())


async def delete_alias(conn: AsyncConnection, address: str) -> None:
    alias = await find_alias(conn, address)
    if alias is None:
        raise NotFound(f"no alias {address!r}")
    await conn.execute(delete(s.alias_target).where(s.alias_target.c.alias_id == alias.id))
    await conn.execute(delete(s.alias).where(s.alias.c.id == alias.id))


# --- operators ------------------------------------------------------------------------


async def create_operator(conn: AsyncConnection, login: str, password_hash: str) -> Operator:
    row = await _insert_returning(conn, s.operator,
                                  {"login": login, "password_hash": password_hash,
                                   "created_at": _now()}, f"the operator {login!r}")
    return Operator(row.id, row.login, row.password_hash)


async def find_operator(conn: AsyncConnection, login: str) -> Operator | None:
    row = (await conn.execute(select(s.operator).where(s.operator.c.login == login))).first()
    return None if row is None else Operator(row.id, row.login, row.password_hash)


async def count_operators(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(s.operator))).scalar() or 0)


# --- login throttling -----------------------------------------------------------------


async def get_throttle(conn: AsyncConnection, key: str) -> Throttle | None:
    row = (
        await conn.execute(select(s.login_throttle).where(s.login_throttle.c.key == key))
    ).first()
    if row is None:
        return None
    return Throttle(row.key, row.failures, row.last_failure, row.blocked_until)


async def put_throttle(conn: AsyncConnection, t: Throttle) -> None:
    await conn.execute(delete(s.login_throttle).where(s.login_throttle.c.key == t.key))
    await conn.execute(insert(s.login_throttle).values(
        key=t.key, failures=t.failures, last_failure=t.last_failure,
        blocked_until=t.blocked_until))


async def clear_throttle(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(s.login_throttle).where(s.login_throttle.c.key == key))


async def purge_throttles(conn: AsyncConnection, before: datetime) -> int:
    result = await conn.execute(
        delete(s.login_throttle).where(s.login_throttle.c.last_failure < before))
    return int(result.rowcount or 0)
