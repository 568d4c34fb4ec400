"""Message rows: UID and MODSEQ allocation, append, copy, flags, expunge, changes.

Functions here run inside a write transaction opened by ``mailboxes.MailStore``; they
never commit and never publish.

Invariants (see ``schema``):
- UIDs come from one ``UPDATE folder SET uidnext = uidnext + n ... RETURNING`` per
  operation, so concurrent appends to one folder get distinct, increasing UIDs on both
  dialects (the row lock orders them on PostgreSQL, the write lock on SQLite).
- Every change takes one new MODSEQ from the folder and stamps it on every row it
  touched; expunged UIDs go to ``vanished`` with that MODSEQ (RFC 7162 3.2.10).
- ``account.usage`` moves in the same statement that checks the quota, so two appends
  cannot both slip under it.
- ``message.conversation_id`` is given at insert (``conversations.assign``, by the
  caller) and carried by ``copy``; nothing here ever changes it.
- ``blob.refcount`` moves with the rows that reference the blob; a blob whose count
  reaches zero is deleted with its index row and returned to the caller, which unlinks
  its file after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import Invalid, NotFound, OverQuota
from postroom.mail.conversations import message_id_key
from postroom.store import schema as s
from postroom.store import search
from postroom.store.conversations import ThreadFields
from postroom.store.flags import join_flags, keywords_json, merge_bits, merge_keywords, split_flags
from postroom.store.records import (
    Changes,
    CopyResult,
    FlagUpdate,
    FolderInfo,
    MessageDetail,
    MessageRow,
)

#: Largest UID (RFC 3501 2.3.1.1: 32-bit unsigned).
MAX_UID = 2**32 - 1


@dataclass(frozen=True)
class BlobFields:
    """What the store keeps about a blob besides its bytes (computed once, at prepare)."""

    hash: str
    size: int
    summary_json: str
    subject: str
    from_text: str
    to_text: str
    cc_text: str
    sent_date: datetime | None
    message_id: str
    preview: str
    has_attachments: bool
    index_text: str
    #: What the conversation rule reads (``conversations``); not stored as such.
    thread: ThreadFields


_ROW_COLUMNS = (
    s.message.c.id,
    s.message.c.folder_id,
    s.message.c.uid,
    s.message.c.modseq,
    s.message.c.size,
    s.message.c.internal_date,
    s.message.c.flags,
    s.message.c.keywords,
    s.blob.c.hash,
    s.message.c.blob_id,
    s.message.c.conversation_id,
)


def row_to_message(r: Any) -> MessageRow:
    m = r._mapping
    return MessageRow(
        id=m["id"],
        folder_id=m["folder_id"],
        uid=m["uid"],
        modseq=m["modseq"],
        size=m["size"],
        internal_date=m["internal_date"],
        flags=join_flags(m["flags"], m["keywords"]),
        blob_hash=m["hash"],
        blob_id=m["blob_id"],
        conversation_id=m["conversation_id"],
    )


def _rows_query(folder_id: int):  # type: ignore[no-untyped-def]
    return (
        select(*_ROW_COLUMNS)
        .select_from(s.message.join(s.blob, s.blob.c.id == s.message.c.blob_id))
        .where(s.message.c.folder_id == folder_id)
        .order_by(s.message.c.uid)
    )


async def rows(
    conn: AsyncConnection, folder_id: int, uids: Iterable[int] | None = None
) -> list[MessageRow]:
    q = _rows_query(folder_id)
    if uids is not None:
        wanted = sorted(set(uids))
        if not wanted:
            return []
        out: list[MessageRow] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            out += [row_to_message(r) for r in await conn.execute(
                q.where(s.message.c.uid.in_(chunk)))]
        return out
    return [row_to_message(r) for r in await conn.execute(q)]


async def allocate(conn: AsyncConnection, folder_id: int, count: int) -> tuple[int, int]:
    """Reserve ``count`` UIDs and one MODSEQ: returns (first uid, modseq)."""
    row = (
        await conn.execute(
            update(s.folder)
            .where(s.folder.c.id == folder_id)
            .values(
                uidnext=s.folder.c.uidnext + count,
                highestmodseq=s.folder.c.highestmodseq + 1,
            )
            .returning(s.folder.c.uidnext, s.folder.c.highestmodseq)
        )
    ).first()
    if row is None:
        raise NotFound("the folder no longer exists")
    first = row[0] - count
    if row[0] - 1 > MAX_UID:
        raise Invalid("the folder has used up its UIDs")
    return first, row[1]


async def bump_modseq(conn: AsyncConnection, folder_id: int) -> int:
    _, modseq = await allocate(conn, folder_id, 0)
    return modseq


async def charge_quota(conn: AsyncConnection, account_id: int, size: int) -> None:
    """Add ``size`` to the account's usage, or raise OverQuota and change nothing."""
    a = s.account.c
    done = (
        await conn.execute(
            update(s.account)
            .where(a.id == account_id, a.usage + size <= a.quota)
            .values(usage=a.usage + size)
            .returning(a.usage)
        )
    ).first()
    if done is None:
        raise OverQuota()


async def release_quota(conn: AsyncConnection, account_id: int, size: int) -> None:
    a = s.account.c
    await conn.execute(update(s.account).where(a.id == account_id).values(usage=a.usage - size))


async def reference_blob(conn: AsyncConnection, blob: BlobFields, refs: int) -> int:
    """Insert the blob row or add ``refs`` to its count; index it when new. Returns its id."""
    values = {
        "hash": blob.hash,
        "size": blob.size,
        "refcount": refs,
        "summary": blob.summary_json,
        "subject": blob.subject,
        "from_text": blob.from_text,
        "to_text": blob.to_text,
        "cc_text": blob.cc_text,
        "sent_date": blob.sent_date,
        "message_id": blob.message_id,
        "preview": blob.preview,
        "has_attachments": blob.has_attachments,
        "created_at": datetime.now().astimezone(),
        "message_id_hash": message_id_key(blob.message_id),
    }
    dialect_insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    stmt = (
        dialect_insert(s.blob)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[s.blob.c.hash], set_={"refcount": s.blob.c.refcount + refs}
        )
        .returning(s.blob.c.id, s.blob.c.refcount)
    )
    blob_id, refcount = (await conn.execute(stmt)).one()
    if refcount == refs:
        await search.index_blob(conn, blob_id, blob.subject,
                                " ".join((blob.from_text, blob.to_text, blob.cc_text)),
                                blob.index_text)
    return int(blob_id)


async def add_blob_refs(conn: AsyncConnection, blob_ids: Sequence[int], refs: int = 1) -> None:
    for blob_id in blob_ids:
        await conn.execute(
            update(s.blob).where(s.blob.c.id == blob_id).values(refcount=s.blob.c.refcount + refs)
        )


async def release_blobs(
    conn: AsyncConnection, blob_ids: Sequence[int], refs: int = 1
) -> list[str]:
    """Drop ``refs`` references per id; delete blobs left unreferenced. Returns their hashes."""
    orphans: list[str] = []
    for blob_id in blob_ids:
        row = (
            await conn.execute(
                update(s.blob)
                .where(s.blob.c.id == blob_id)
                .values(refcount=s.blob.c.refcount - refs)
                .returning(s.blob.c.refcount, s.blob.c.hash)
            )
        ).one()
        if row[0] <= 0:
            await search.unindex_blobs(conn, [blob_id])
            await conn.execute(delete(s.blob).where(s.blob.c.id == blob_id))
            orphans.append(row[1])
    return orphans


async def existing_hashes(conn: AsyncConnection, hashes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(hashes), 500):
        rows = await conn.execute(select(s.blob.c.hash).where(s.blob.c.hash.in_(hashes[i:i + 500])))
        found.update(r[0] for r in rows)
    return found


async def insert_message(
    conn: AsyncConnection,
    folder: FolderInfo,
    blob_id: int,
    size: int,
    flags: Iterable[str],
    internal_date: datetime,
    conversation_id: int,
) -> tuple[int, int]:
    """Append one message row; returns (uid, modseq). ``conversation_id`` comes from
    ``conversations.assign``."""
    bits, keywords = split_flags(flags)
    uid, modseq = await allocate(conn, folder.id, 1)
    await conn.execute(
        insert(s.message).values(
            folder_id=folder.id,
            uid=uid,
            modseq=modseq,
            blob_id=blob_id,
            size=size,
            internal_date=internal_date,
            flags=bits,
            keywords=keywords_json(keywords),
            conversation_id=conversation_id,
        )
    )
    return uid, modseq


async def copy(
    conn: AsyncConnection, source: FolderInfo, dest: FolderInfo, uids: Iterable[int]
) -> tuple[CopyResult, list[MessageRow]]:
    """Copy messages with their flags and internal dates (RFC 3501 6.4.7)."""
    found = await rows(conn, source.id, uids)
    if not found:
        return CopyResult(dest.uidvalidity, (), ()), []
    first, modseq = await allocate(conn, dest.id, len(found))
    new_uids = []
    for offset, row in enumerate(found):
        bits, keywords = split_flags(row.flags)
        await conn.execute(
            insert(s.message).values(
                folder_id=dest.id,
                uid=first + offset,
                modseq=modseq,
                blob_id=row.blob_id,
                size=row.size,
                internal_date=row.internal_date,
                flags=bits,
                keywords=keywords_json(keywords),
                conversation_id=row.conversation_id,  # a copy stays in its conversation
            )
        )
        new_uids.append(first + offset)
    await add_blob_refs(conn, [r.blob_id for r in found])
    result = CopyResult(dest.uidvalidity, tuple(r.uid for r in found), tuple(new_uids))
    return result, found


async def set_flags(
    conn: AsyncConnection,
    folder: FolderInfo,
    uids: Iterable[int],
    mode: str,
    flags: Iterable[str],
    unchanged_since: int | None = None,
) -> FlagUpdate:
    """STORE: ``mode`` is ``add``, ``remove`` or ``replace`` (RFC 3501 6.4.6, RFC 7162 3.1.3)."""
    if mode not in ("add", "remove", "replace"):
        raise Invalid("unknown flag change")
    change_bits, change_keywords = split_flags(flags)
    current = await rows(conn, folder.id, uids)
    modified = tuple(r.uid for r in current
                     if unchanged_since is not None and r.modseq > unchanged_since)
    todo = []
    for r in current:
        if r.uid in modified:
            continue
        bits, keywords = split_flags(r.flags)
        new_bits = merge_bits(bits, change_bits, mode)
        new_keywords = merge_keywords(keywords, change_keywords, mode)
        if new_bits != bits or [k.lower() for k in new_keywords] != [k.lower() for k in keywords]:
            todo.append((r, new_bits, new_keywords))
    if not todo:
        return FlagUpdate((), modified, folder.highestmodseq)
    modseq = await bump_modseq(conn, folder.id)
    changed = []
    for r, new_bits, new_keywords in todo:
        kw = keywords_json(new_keywords)
        await conn.execute(
            update(s.message)
            .where(s.message.c.id == r.id)
            .values(flags=new_bits, keywords=kw, modseq=modseq)
        )
        changed.append(MessageRow(r.id, r.folder_id, r.uid, modseq, r.size, r.internal_date,
                                  join_flags(new_bits, kw), r.blob_hash, r.blob_id,
                                  r.conversation_id))
    return FlagUpdate(tuple(changed), modified, modseq)


async def expunge(
    conn: AsyncConnection, folder: FolderInfo, uids: Iterable[int]
) -> tuple[list[int], int, list[str], int]:
    """Remove messages. Returns (uids removed, modseq, orphan blob hashes, bytes freed)."""
    found = await rows(conn, folder.id, uids)
    if not found:
        return [], folder.highestmodseq, [], 0
    modseq = await bump_modseq(conn, folder.id)
    ids = [r.id for r in found]
    for i in range(0, len(ids), 500):
        await conn.execute(delete(s.message).where(s.message.c.id.in_(ids[i : i + 500])))
    await conn.execute(
        insert(s.vanished),
        [{"folder_id": folder.id, "uid": r.uid, "modseq": modseq} for r in found],
    )
    orphans = await release_blobs(conn, [r.blob_id for r in found])
    return [r.uid for r in found], modseq, orphans, sum(r.size for r in found)


async def changes_since(conn: AsyncConnection, folder: FolderInfo, modseq: int) -> Changes:
    changed = [
        row_to_message(r)
        for r in await conn.execute(
            _rows_query(folder.id).where(s.message.c.modseq > modseq)
        )
    ]
    gone = [
        r[0]
        for r in await conn.execute(
            select(s.vanished.c.uid)
            .where(and_(s.vanished.c.folder_id == folder.id, s.vanished.c.modseq > modseq))
            .order_by(s.vanished.c.uid)
        )
    ]
    return Changes(folder.highestmodseq, folder.uidnext, tuple(changed), tuple(gone))


async def detail_rows(conn: AsyncConnection, folder_id: int, uids: Iterable[int]) -> list[Any]:
    """Message rows joined with their blob's summary and list fields."""
    wanted = sorted(set(uids))
    out: list[Any] = []
    b = s.blob.c
    for i in range(0, len(wanted), 500):
        q = (
            select(*_ROW_COLUMNS, b.summary, b.subject, b.from_text, b.to_text, b.cc_text,
                   b.sent_date, b.message_id, b.preview, b.has_attachments)
            .select_from(s.message.join(s.blob, b.id == s.message.c.blob_id))
            .where(s.message.c.folder_id == folder_id, s.message.c.uid.in_(wanted[i : i + 500]))
            .order_by(s.message.c.uid)
        )
        out += list(await conn.execute(q))
    return out


def detail_of(row: Any) -> MessageDetail:
    m = row._mapping
    return MessageDetail(
        row=row_to_message(row),
        summary=json.loads(m["summary"]),
        subject=m["subject"],
        from_text=m["from_text"],
        to_text=m["to_text"],
        cc_text=m["cc_text"],
        sent_date=m["sent_date"],
        message_id=m["message_id"],
        preview=m["preview"],
        has_attachments=m["has_attachments"],
    )
