"""Delivery log rows: one per SMTP transaction and per delivery attempt.

Each row carries a retention class and the time it expires; ``purge`` (run daily by the
queue worker) deletes what has expired. The entry is a JSON object built by
``postroom.delivery.log``: addresses, codes and sizes, never a body or a subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from postroom.store import schema as s
from postroom.store.db import Database


@dataclass(frozen=True)
class LogRow:
    at: datetime
    kind: str
    retention_class: str
    expires_at: datetime
    queue_id: str | None
    entry: str  # JSON


async def append(db: Database, rows: Sequence[LogRow]) -> None:
    if not rows:
        return
    async with db.write() as conn:
        await conn.execute(insert(s.delivery_log), [
            {"at": r.at, "kind": r.kind, "retention_class": r.retention_class,
             "expires_at": r.expires_at, "queue_id": r.queue_id, "entry": r.entry}
            for r in rows])


async def for_queue_id(db: Database, queue_id: str) -> list[LogRow]:
    d = s.delivery_log.c
    async with db.read() as conn:
        rows = await conn.execute(select(d.at, d.kind, d.retention_class, d.expires_at,
                                         d.queue_id, d.entry)
                                  .where(d.queue_id == queue_id).order_by(d.id))
        return [LogRow(*r) for r in rows]


async def recent(db: Database, limit: int = 100) -> list[LogRow]:
    d = s.delivery_log.c
    async with db.read() as conn:
        rows = await conn.execute(select(d.at, d.kind, d.retention_class, d.expires_at,
                                         d.queue_id, d.entry).order_by(d.id.desc())
                                  .limit(limit))
        return [LogRow(*r) for r in rows]


async def purge(db: Database, now: datetime) -> int:
    async with db.write() as conn:
        done = await conn.execute(delete(s.delivery_log)
                                  .where(s.delivery_log.c.expires_at < now))
        return int(done.rowcount or 0)
