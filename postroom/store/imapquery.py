"""Read-only queries for IMAP that the mailbox API lacks: parts of the stored summary,
and message bytes read in batches.

FETCH ENVELOPE/BODYSTRUCTURE, SORT, THREAD and the header and sent-date SEARCH keys
need a few members of a message's summary (``envelope``, ``structure``, ``headers``),
not the whole summary document. These functions select just those members in SQL
(SQLite ``json_extract``, PostgreSQL ``->``), so a FETCH of 10,000 envelopes does not
decode 10,000 full summaries.

Invariants:
- Read-only; every query is scoped to a folder of the given account (the folder is
  looked up within the account first, as ``MailStore`` does).
- Only member names from ``MEMBERS`` reach the SQL text; UIDs are bound parameters.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, text

from postroom.errors import TemporaryFailure
from postroom.store import folders
from postroom.store.mailboxes import MailStore
from postroom.store.records import MessageRow

__all__ = ["MEMBERS", "read_messages", "summary_members"]

MEMBERS = frozenset({"envelope", "structure", "headers"})
_CHUNK = 500


async def summary_members(
    mail: MailStore,
    account_id: int,
    folder_id: int,
    uids: Iterable[int],
    members: Sequence[str],
) -> dict[int, dict[str, Any]]:
    """``{uid: {member: decoded JSON}}`` for the messages of ``uids`` that exist."""
    unknown = set(members) - MEMBERS
    if unknown:
        raise ValueError(f"unknown summary members {sorted(unknown)}")
    wanted = sorted(set(uids))
    out: dict[int, dict[str, Any]] = {}
    if not wanted or not members:
        return out
    async with mail.db.read() as conn:
        await folders.get_by_id(conn, account_id, folder_id)
        if conn.dialect.name == "sqlite":
            columns = ", ".join(f"json_extract(b.summary, '$.{m}')" for m in members)
        else:
            columns = ", ".join(f"(CAST(b.summary AS json) -> '{m}')::text" for m in members)
        query = text(
            f"SELECT m.uid, {columns} FROM message m JOIN blob b ON b.id = m.blob_id "
            "WHERE m.folder_id = :folder AND m.uid IN :uids"
        ).bindparams(bindparam("uids", expanding=True))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for row in await conn.execute(query, {"folder": folder_id, "uids": chunk}):
                out[int(row[0])] = {
                    m: None if value is None else json.loads(value)
                    for m, value in zip(members, row[1:], strict=True)
                }
    return out


async def read_messages(mail: MailStore, rows: Sequence[MessageRow]) -> list[bytes]:
    """The bytes of several messages, read in one worker-thread hop (FETCH of a batch)
    instead of one hop per message as ``MailStore.read_message`` does."""
    blobs = mail.blobs

    def read_all() -> list[bytes]:
        return [blobs.read_sync(row.blob_hash) for row in rows]

    try:
        return await asyncio.to_thread(read_all)
    except OSError as exc:
        raise TemporaryFailure() from exc
