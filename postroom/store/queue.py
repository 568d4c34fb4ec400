"""The outbound queue, sending holds and per-account sending counters (SQL only).

``postroom.delivery`` decides what to queue and when to try; this module keeps the rows.

Invariants:
- A queued message is durable before ``enqueue`` returns: its blob is fsynced and in
  place, and the transaction that references it (``queue_message`` + one
  ``queue_recipient`` per address) has committed (DESIGN section 5).
- Each ``queue_message`` holds one reference on its blob; ``remove_finished`` drops it
  in the transaction that deletes the message, and unlinks the file after the commit.
- A worker claims due recipients by setting ``sending`` with a lease
  (``claimed_until``). A claim that outlives its lease (the worker crashed) is due
  again, so a restart loses nothing; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps two
  nodes from claiming the same row.
- Recipients of a held account are ``held``: never claimed until the hold is released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import NotFound
from postroom.mail.summary import MimeLimits
from postroom.store import messages
from postroom.store import schema as s
from postroom.store.blobs import BlobStore, BlobWriter
from postroom.store.db import Database
from postroom.store.mailboxes import collect_orphans
from postroom.store.parsing import blob_fields


class RecipientStatus(StrEnum):
    QUEUED = "queued"
    HELD = "held"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


FINAL = (RecipientStatus.DELIVERED.value, RecipientStatus.FAILED.value)


@dataclass(frozen=True)
class NewRecipient:
    address: str
    local: bool = False
    orcpt: str | None = None
    notify: str | None = None  # comma-separated RFC 3461 NOTIFY values


@dataclass(frozen=True)
class QueuedRecipient:
    id: int
    message_id: int
    address: str
    domain: str
    local: bool
    status: RecipientStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_code: int | None
    last_status: str | None
    last_response: str | None
    remote_host: str | None
    orcpt: str | None
    notify: str | None
    notified: bool
    delay_notified: bool


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    queue_id: str
    account_id: int | None
    mail_from: str
    blob_hash: str
    size: int
    envid: str | None
    ret: str | None
    created_at: datetime
    expires_at: datetime
    recipients: tuple[QueuedRecipient, ...]


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt for one recipient."""

    status: RecipientStatus
    code: int | None
    enhanced: str | None
    response: str
    remote_host: str | None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class SendCount:
    """What an account has sent today, including the message being counted."""

    messages: int
    new_recipients: int


def _now() -> datetime:
    return datetime.now(UTC)


def _recipient(row: Any) -> QueuedRecipient:
    m = row._mapping
    return QueuedRecipient(
        id=m["id"], message_id=m["message_id"], address=m["address"], domain=m["domain"],
        local=bool(m["local"]), status=RecipientStatus(m["status"]), attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"], last_attempt_at=m["last_attempt_at"],
        last_code=m["last_code"], last_status=m["last_status"],
        last_response=m["last_response"], remote_host=m["remote_host"], orcpt=m["orcpt"],
        notify=m["notify"], notified=bool(m["notified"]),
        delay_notified=bool(m["delay_notified"]))


class QueueStore:
    """Queue rows over one database and blob store."""

    def __init__(self, db: Database, blobs: BlobStore,
                 mime_limits: MimeLimits | None = None) -> None:
        self.db = db
        self.blobs = blobs
        self.mime_limits = mime_limits or MimeLimits()

    # --- adding ------------------------------------------------------------------------

    async def enqueue(
        self,
        message: bytes | BlobWriter,
        *,
        queue_id: str,
        mail_from: str,
        recipients: Sequence[NewRecipient],
        lifetime: timedelta,
        account_id: int | None = None,
        held: bool = False,
        envid: str | None = None,
        ret: str | None = None,
    ) -> None:
        """Store the message once and one row per recipient, all due now."""
        writer = message if isinstance(message, BlobWriter) else self.blobs.writer_for(message)
        now = _now()
        status = RecipientStatus.HELD if held else RecipientStatus.QUEUED
        async with self.blobs.durable(writer) as blob:
            raw = message if isinstance(message, bytes) else None
            fields = await asyncio.to_thread(self._fields, blob.hash, raw)
            async with self.db.write() as conn:
                blob_id = await messages.reference_blob(conn, fields, 1)
                message_id = (await conn.execute(insert(s.queue_message).values(
                    queue_id=queue_id, account_id=account_id, mail_from=mail_from,
                    blob_id=blob_id, size=blob.size, envid=envid, ret=ret, created_at=now,
                    expires_at=now + lifetime).returning(s.queue_message.c.id))).scalar_one()
                await conn.execute(insert(s.queue_recipient), [
                    {"message_id": message_id, "address": r.address,
                     "domain": r.address.rpartition("@")[2].lower(), "local": r.local,
                     "orcpt": r.orcpt, "notify": r.notify, "status": status.value,
                     "attempts": 0, "next_attempt_at": now, "notified": False,
                     "delay_notified": False} for r in recipients])

    def _fields(self, digest: str, raw: bytes | None) -> messages.BlobFields:
        data = raw if raw is not None else self.blobs.read_sync(digest)
        return blob_fields(data, digest, self.mime_limits)

    # --- the worker's side -----------------------------------------------------------

    async def claim_due(self, *, limit: int = 100, lease: timedelta = timedelta(minutes=15),
                        now: datetime | None = None) -> list[QueuedRecipient]:
        """Claim up to ``limit`` due recipients (and expired claims) for one worker."""
        now = now or _now()
        r = s.queue_recipient.c
        due = or_(and_(r.status == RecipientStatus.QUEUED.value, r.next_attempt_at <= now),
                  and_(r.status == RecipientStatus.SENDING.value, r.claimed_until < now))
        query = select(r.id).where(due).order_by(r.next_attempt_at).limit(limit)
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.db.write() as conn:
            ids = list((await conn.execute(query)).scalars())
            if not ids:
                return []
            await conn.execute(update(s.queue_recipient).where(r.id.in_(ids)).values(
                status=RecipientStatus.SENDING.value, claimed_until=now + lease))
            rows = await conn.execute(select(s.queue_recipient).where(r.id.in_(ids)))
            return [_recipient(row) for row in rows]

    async def get_message(self, message_id: int) -> QueuedMessage:
        async with self.db.read() as conn:
            return await self._message(conn, s.queue_message.c.id == message_id)

    async def find(self, queue_id: str) -> QueuedMessage:
        async with self.db.read() as conn:
            return await self._message(conn, s.queue_message.c.queue_id == queue_id)

    async def _message(self, conn: AsyncConnection, where: Any) -> QueuedMessage:
        q, b = s.queue_message.c, s.blob.c
        row = (await conn.execute(
            select(s.queue_message, b.hash).join(s.blob, b.id == q.blob_id).where(where)
        )).first()
        if row is None:
            raise NotFound("no such queued message")
        m = row._mapping
        rcpts = await conn.execute(select(s.queue_recipient)
                                   .where(s.queue_recipient.c.message_id == m["id"])
                                   .order_by(s.queue_recipient.c.id))
        return QueuedMessage(
            id=m["id"], queue_id=m["queue_id"], account_id=m["account_id"],
            mail_from=m["mail_from"], blob_hash=m["hash"], size=m["size"], envid=m["envid"],
            ret=m["ret"], created_at=m["created_at"], expires_at=m["expires_at"],
            recipients=tuple(_recipient(r) for r in rcpts))

    async def read_blob(self, message: QueuedMessage) -> bytes:
        return await self.blobs.read(message.blob_hash)

    async def record(self, recipient_id: int, outcome: Outcome) -> None:
        """Store one attempt's outcome; a deferral is due again at ``next_attempt_at``."""
        r = s.queue_recipient.c
        now = _now()
        values: dict[str, Any] = {
            "status": outcome.status.value, "claimed_until": None, "last_attempt_at": now,
            "attempts": r.attempts + 1, "last_code": outcome.code,
            "last_status": outcome.enhanced, "last_response": outcome.response[:1000],
            "remote_host": outcome.remote_host,
        }
        if outcome.next_attempt_at is not None:
            values["next_attempt_at"] = outcome.next_attempt_at
        async with self.db.write() as conn:
            await conn.execute(update(s.queue_recipient).where(r.id == recipient_id)
                               .values(**values))

    async def mark_notified(self, recipient_ids: Sequence[int], *, delay: bool = False) -> None:
        column = "delay_notified" if delay else "notified"
        async with self.db.write() as conn:
            await conn.execute(update(s.queue_recipient)
                               .where(s.queue_recipient.c.id.in_(list(recipient_ids)))
                               .values(**{column: True}))

    async def needing_notice(self, *, delayed_before: datetime) -> list[QueuedMessage]:
        """Messages with failed recipients not yet reported, or delayed past the notice age."""
        r, q = s.queue_recipient.c, s.queue_message.c
        failed = and_(r.status == RecipientStatus.FAILED.value, r.notified.is_(False))
        delayed = and_(r.status.in_([RecipientStatus.QUEUED.value,
                                     RecipientStatus.SENDING.value]),
                       r.delay_notified.is_(False), q.created_at < delayed_before)
        query = (select(q.id).distinct().select_from(
            s.queue_message.join(s.queue_recipient, r.message_id == q.id))
            .where(or_(failed, delayed)).limit(100))
        async with self.db.read() as conn:
            ids = list((await conn.execute(query)).scalars())
            return [await self._message(conn, q.id == i) for i in ids]

    async def remove_finished(self) -> list[str]:
        """Delete messages whose recipients are all final and reported; returns queue ids."""
        r, q = s.queue_recipient.c, s.queue_message.c
        open_rcpt = exists().where(r.message_id == q.id, or_(
            r.status.not_in(FINAL), and_(r.status == RecipientStatus.FAILED.value,
                                         r.notified.is_(False))))
        async with self.db.write() as conn:
            rows = list(await conn.execute(select(q.id, q.queue_id, q.blob_id)
                                           .where(~open_rcpt).limit(500)))
            orphans: list[str] = []
            for message_id, _, blob_id in rows:
                await conn.execute(delete(s.queue_recipient).where(r.message_id == message_id))
                await conn.execute(delete(s.queue_message).where(q.id == message_id))
                orphans += await messages.release_blobs(conn, [blob_id], 1)
        await collect_orphans(self.db, self.blobs, orphans)
        return [row[1] for row in rows]

    # --- operator commands -------------------------------------------------------------

    async def list_messages(self, limit: int = 1000) -> list[QueuedMessage]:
        q = s.queue_message.c
        async with self.db.read() as conn:
            ids = list((await conn.execute(select(q.id).order_by(q.id).limit(limit))).scalars())
            return [await self._message(conn, q.id == i) for i in ids]

    async def retry_now(self, queue_id: str) -> int:
        """Make the message's waiting recipients due now; returns how many."""
        r, q = s.queue_recipient.c, s.queue_message.c
        async with self.db.write() as conn:
            message_id = (await conn.execute(select(q.id).where(q.queue_id == queue_id))
                          ).scalar()
            if message_id is None:
                raise NotFound("no such queued message")
            done = await conn.execute(update(s.queue_recipient).where(
                r.message_id == message_id, r.status == RecipientStatus.QUEUED.value)
                .values(next_attempt_at=_now()))
            return int(done.rowcount or 0)

    async def delete_message(self, queue_id: str) -> None:
        """Drop a queued message for every recipient, without a notice."""
        q = s.queue_message.c
        async with self.db.write() as conn:
            row = (await conn.execute(select(q.id, q.blob_id).where(q.queue_id == queue_id))
                   ).first()
            if row is None:
                raise NotFound("no such queued message")
            await conn.execute(delete(s.queue_recipient)
                               .where(s.queue_recipient.c.message_id == row[0]))
            await conn.execute(delete(s.queue_message).where(q.id == row[0]))
            orphans = await messages.release_blobs(conn, [row[1]], 1)
        await collect_orphans(self.db, self.blobs, orphans)

    # --- sending holds and counters (abuse limits) ------------------------------------

    async def hold_account(self, account_id: int, reason: str) -> bool:
        """Hold the account's queued mail; False if it was held already."""
        r, q = s.queue_recipient.c, s.queue_message.c
        async with self.db.write() as conn:
            try:
                async with conn.begin_nested():
                    await conn.execute(insert(s.sending_hold).values(
                        account_id=account_id, reason=reason[:1000], created_at=_now()))
            except IntegrityError:
                return False
            mine = select(q.id).where(q.account_id == account_id)
            await conn.execute(update(s.queue_recipient).where(
                r.message_id.in_(mine), r.status == RecipientStatus.QUEUED.value)
                .values(status=RecipientStatus.HELD.value))
        return True

    async def release_account(self, account_id: int) -> int:
        """Lift the hold; the held recipients are due now. Returns how many."""
        r, q = s.queue_recipient.c, s.queue_message.c
        async with self.db.write() as conn:
            await conn.execute(delete(s.sending_hold)
                               .where(s.sending_hold.c.account_id == account_id))
            mine = select(q.id).where(q.account_id == account_id)
            done = await conn.execute(update(s.queue_recipient).where(
                r.message_id.in_(mine), r.status == RecipientStatus.HELD.value)
                .values(status=RecipientStatus.QUEUED.value, next_attempt_at=_now()))
            return int(done.rowcount or 0)

    async def hold_reason(self, account_id: int) -> str | None:
        async with self.db.read() as conn:
            return (await conn.execute(select(s.sending_hold.c.reason).where(
                s.sending_hold.c.account_id == account_id))).scalar()

    async def holds(self) -> list[tuple[int, str, datetime]]:
        h = s.sending_hold.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(h.account_id, h.reason, h.created_at))
            return [(r[0], r[1], r[2]) for r in rows]

    async def count_send(self, account_id: int, recipients: Sequence[str],
                         now: datetime | None = None) -> SendCount:
        """Count one message to ``recipients`` for today; returns today's totals."""
        now = now or _now()
        day = now.date().isoformat()
        k, c = s.known_recipient.c, s.send_counter.c
        async with self.db.write() as conn:
            known = set((await conn.execute(select(k.address).where(
                k.account_id == account_id, k.address.in_(list(recipients))))).scalars())
            new = sorted(set(recipients) - known)
            if new:
                await conn.execute(insert(s.known_recipient), [
                    {"account_id": account_id, "address": a, "first_sent_at": now} for a in new])
            done = await conn.execute(update(s.send_counter).where(
                c.account_id == account_id, c.day == day).values(
                messages=c.messages + 1, new_recipients=c.new_recipients + len(new))
                .returning(c.messages, c.new_recipients))
            row = done.first()
            if row is None:
                await conn.execute(insert(s.send_counter).values(
                    account_id=account_id, day=day, messages=1, new_recipients=len(new)))
                return SendCount(1, len(new))
            return SendCount(int(row[0]), int(row[1]))

    async def purge_counters(self, before: datetime) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(s.send_counter)
                               .where(s.send_counter.c.day < before.date().isoformat()))

    async def pending_count(self) -> int:
        r = s.queue_recipient.c
        async with self.db.read() as conn:
            return int((await conn.execute(select(func.count()).where(
                r.status.not_in(FINAL)))).scalar_one())
