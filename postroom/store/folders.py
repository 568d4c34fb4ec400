"""Folder rows: naming rules, creation, rename with children, deletion, counts.

Functions here run inside a transaction opened by ``mailboxes.MailStore``; they never
commit and never publish changes themselves.

Rules (RFC 3501 6.3, RFC 9051 6.3):
- Names use ``/`` as the hierarchy delimiter; ``INBOX`` is case-insensitive and always
  spelled ``INBOX``; empty levels, leading/trailing delimiters and control characters are
  refused.
- Creating ``a/b/c`` creates missing parents, so the hierarchy never has holes.
- Renaming a folder renames its children. Renaming INBOX moves its messages to a new
  folder and leaves an empty INBOX (RFC 3501 6.3.5).
- INBOX cannot be deleted. Postroom has no ``\\Noselect`` folders, so a folder that has
  children cannot be deleted until they are (a clear error; RFC 9051 6.3.4 lets a server
  refuse). Deleting a folder expunges its messages through the message path.
- UIDVALIDITY values come from ``account.last_uidvalidity`` (the clock, or one more than
  the last one given), so no two folders of an account, past or present, share one and a
  re-created name never gets a UIDVALIDITY it had before (RFC 3501 2.3.1.1).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Integer, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import AlreadyExists, Invalid, NotFound, NotPermitted
from postroom.store import schema as s
from postroom.store.flags import DELETED, SEEN
from postroom.store.records import DEFAULT_FOLDERS, DELIMITER, FolderInfo, FolderStatus, SpecialUse

MAX_NAME_LENGTH = 500
MAX_DEPTH = 30


def normalize_name(name: str) -> str:
    """Check a folder name and give it its stored spelling."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Invalid("folder names must be 1 to 500 characters")
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise Invalid("folder names cannot contain control characters")
    parts = name.split(DELIMITER)
    if any(p == "" for p in parts):
        raise Invalid("folder names cannot have empty levels")
    if len(parts) > MAX_DEPTH:
        raise Invalid("folders cannot be nested that deep")
    if any(c in name for c in "*%"):
        raise Invalid("folder names cannot contain * or %")
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return DELIMITER.join(parts)


def _info(row: object) -> FolderInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return FolderInfo(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        special_use=SpecialUse(m["special_use"]) if m["special_use"] else None,
        uidvalidity=m["uidvalidity"],
        uidnext=m["uidnext"],
        highestmodseq=m["highestmodseq"],
        subscribed=m["subscribed"],
    )


async def list_all(conn: AsyncConnection, account_id: int) -> list[FolderInfo]:
    rows = await conn.execute(
        select(s.folder).where(s.folder.c.account_id == account_id).order_by(s.folder.c.name)
    )
    return [_info(r) for r in rows]


async def get(conn: AsyncConnection, account_id: int, name: str) -> FolderInfo:
    name = normalize_name(name)
    row = (
        await conn.execute(
            select(s.folder).where(s.folder.c.account_id == account_id, s.folder.c.name == name)
        )
    ).first()
    if row is None:
        raise NotFound(f"no folder named {name!r}")
    return _info(row)


async def get_by_id(conn: AsyncConnection, account_id: int, folder_id: int) -> FolderInfo:
    row = (
        await conn.execute(
            select(s.folder).where(s.folder.c.account_id == account_id, s.folder.c.id == folder_id)
        )
    ).first()
    if row is None:
        raise NotFound("the folder no longer exists")
    return _info(row)


async def _next_uidvalidity(conn: AsyncConnection, account_id: int) -> int:
    """A UIDVALIDITY the account has never used: the clock, or one more than the last."""
    now = int(time.time()) & 0x7FFFFFFF
    last = s.account.c.last_uidvalidity
    row = (
        await conn.execute(
            update(s.account)
            .where(s.account.c.id == account_id)
            .values(last_uidvalidity=case((last + 1 > now, last + 1), else_=now))
            .returning(s.account.c.last_uidvalidity)
        )
    ).first()
    if row is None:
        raise NotFound("no such account")
    return int(row[0])


async def create(
    conn: AsyncConnection,
    account_id: int,
    name: str,
    special_use: SpecialUse | None = None,
    subscribed: bool = True,
) -> FolderInfo:
    """Create ``name`` and any missing parents. AlreadyExists if ``name`` exists."""
    name = normalize_name(name)
    existing = {f.name for f in await list_all(conn, account_id)}
    if name in existing:
        raise AlreadyExists(f"a folder named {name!r} exists already")
    parts = name.split(DELIMITER)
    for depth in range(1, len(parts)):
        parent = DELIMITER.join(parts[:depth])
        if parent not in existing:
            await _insert(conn, account_id, parent, None, subscribed)
    return await _insert(conn, account_id, name, special_use, subscribed)


async def _insert(
    conn: AsyncConnection,
    account_id: int,
    name: str,
    special_use: SpecialUse | None,
    subscribed: bool,
) -> FolderInfo:
    uidvalidity = await _next_uidvalidity(conn, account_id)
    row = (
        await conn.execute(
            s.folder.insert()
            .values(
                account_id=account_id,
                name=name,
                special_use=special_use.value if special_use else None,
                uidvalidity=uidvalidity,
                uidnext=1,
                highestmodseq=1,
                subscribed=subscribed,
                created_at=datetime.now(UTC),
            )
            .returning(*s.folder.c)
        )
    ).one()
    return _info(row)


async def create_defaults(conn: AsyncConnection, account_id: int) -> None:
    for name, use in DEFAULT_FOLDERS:
        await _insert(conn, account_id, name, use, True)


def _children_clause(account_id: int, name: str):  # type: ignore[no-untyped-def]
    prefix = name + DELIMITER
    return and_(
        s.folder.c.account_id == account_id,
        func.substr(s.folder.c.name, 1, len(prefix)) == prefix,
    )


async def rename(conn: AsyncConnection, account_id: int, old: str, new: str) -> list[FolderInfo]:
    """Rename ``old`` (and its children) to ``new``; returns the folders as renamed.

    Renaming INBOX is handled by the caller (it moves messages instead).
    """
    old, new = normalize_name(old), normalize_name(new)
    src = await get(conn, account_id, old)
    if new == old:
        raise AlreadyExists(f"a folder named {new!r} exists already")
    if new.startswith(old + DELIMITER):
        raise Invalid("a folder cannot be moved inside itself")
    folders = await list_all(conn, account_id)
    names = {f.name for f in folders}
    if new in names:
        raise AlreadyExists(f"a folder named {new!r} exists already")
    # Parents of the new name must exist (created as plain folders).
    parts = new.split(DELIMITER)
    for depth in range(1, len(parts)):
        parent = DELIMITER.join(parts[:depth])
        if parent not in names:
            await _insert(conn, account_id, parent, None, True)
            names.add(parent)
    moving = [f for f in folders if f.id == src.id or f.name.startswith(old + DELIMITER)]
    for f in moving:
        renamed = new + f.name[len(old):]
        if renamed in names and f.id != src.id:
            raise AlreadyExists(f"a folder named {renamed!r} exists already")
    for f in moving:
        await conn.execute(
            update(s.folder).where(s.folder.c.id == f.id).values(name=new + f.name[len(old):])
        )
    return [await get_by_id(conn, account_id, f.id) for f in moving]


async def has_children(conn: AsyncConnection, account_id: int, name: str) -> bool:
    count = (
        await conn.execute(
            select(func.count()).select_from(s.folder).where(_children_clause(account_id, name))
        )
    ).scalar()
    return bool(count)


async def delete_row(conn: AsyncConnection, folder: FolderInfo) -> None:
    if folder.name == "INBOX":
        raise NotPermitted("INBOX cannot be deleted")
    await conn.execute(s.folder.delete().where(s.folder.c.id == folder.id))


async def set_subscribed(conn: AsyncConnection, account_id: int, name: str, on: bool) -> None:
    folder = await get(conn, account_id, name)
    await conn.execute(
        update(s.folder).where(s.folder.c.id == folder.id).values(subscribed=on)
    )


async def set_special_use(
    conn: AsyncConnection, account_id: int, name: str, use: SpecialUse | None
) -> None:
    folder = await get(conn, account_id, name)
    if use is not None:
        await conn.execute(
            update(s.folder)
            .where(s.folder.c.account_id == account_id, s.folder.c.special_use == use.value)
            .values(special_use=None)
        )
    await conn.execute(
        update(s.folder)
        .where(s.folder.c.id == folder.id)
        .values(special_use=use.value if use else None)
    )


async def status(conn: AsyncConnection, folder: FolderInfo) -> FolderStatus:
    m = s.message.c
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(m.size), 0),
                func.coalesce(func.sum((m.flags.op("&")(SEEN) == 0).cast(Integer)), 0),
                func.coalesce(func.sum((m.flags.op("&")(DELETED) != 0).cast(Integer)), 0),
            ).where(m.folder_id == folder.id)
        )
    ).one()
    return FolderStatus(folder, messages=row[0], size=int(row[1]), unseen=int(row[2]),
                        deleted=int(row[3]))


async def special(conn: AsyncConnection, account_id: int, use: SpecialUse) -> FolderInfo:
    f = s.folder.c
    match = f.special_use == use.value
    if use is SpecialUse.INBOX:
        match = or_(match, f.name == "INBOX")
    row = (await conn.execute(select(s.folder).where(f.account_id == account_id, match))).first()
    if row is None:
        raise NotFound(f"the account has no {use.value} folder")
    return _info(row)
