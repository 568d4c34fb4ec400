"""Message lists for the web mail: one page of a folder, sorted, and search results.

Purpose: answer "messages 51 to 100 of this folder by date" without touching the other
99,950 rows, and "messages from X with an attachment containing Y" across folders.

Invariants:
- Every query is scoped: each folder id is first looked up within the account
  (``folders.get_by_id``), so another account's folder raises NotFound.
- Pages come from the database with ORDER BY ... LIMIT/OFFSET and a UID tie-break, so
  the order is total and stable; sorting by date walks
  ``ix_message_folder_id_internal_date_uid``.
- Text search uses the full-text index (``search.matching_uids``); at most
  ``MAX_TEXT_MATCHES`` (the newest) take part, so one broad word cannot load a whole
  account into memory. Header filters are SQL ``LIKE`` on the denormalised blob fields,
  with the pattern characters of the user's text escaped.
"""

from __future__ import annotations

import email.utils
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import NotFound
from postroom.store import folders
from postroom.store import schema as s
from postroom.store.db import Database
from postroom.store.flags import FLAGGED, SEEN, join_flags
from postroom.store.records import FolderStatus, SpecialUse
from postroom.store.search import TextField, matching_uids

MAX_PAGE_SIZE = 200
MAX_TEXT_MATCHES = 10_000


class SortKey(StrEnum):
    DATE = "date"
    SENDER = "from"
    SUBJECT = "subject"
    SIZE = "size"


@dataclass(frozen=True)
class ListItem:
    """One line of a message list."""

    folder_id: int
    uid: int
    size: int
    internal_date: datetime
    flags: frozenset[str]
    subject: str
    from_text: str
    to_text: str
    preview: str
    has_attachments: bool

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags


@dataclass(frozen=True)
class Page:
    items: tuple[ListItem, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class Criteria:
    """What a search asks for; empty fields do not restrict."""

    text: str = ""
    sender: str = ""
    recipient: str = ""
    subject: str = ""
    date_from: date | None = None
    date_to: date | None = None
    has_attachment: bool = False
    unread: bool = False
    flagged: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.sender or self.recipient or self.subject
                    or self.date_from or self.date_to or self.has_attachment or self.unread
                    or self.flagged)


_ITEM_COLUMNS = (
    s.message.c.folder_id, s.message.c.uid, s.message.c.size, s.message.c.internal_date,
    s.message.c.flags, s.message.c.keywords, s.blob.c.subject, s.blob.c.from_text,
    s.blob.c.to_text, s.blob.c.preview, s.blob.c.has_attachments,
)
_SORT_COLUMNS = {
    SortKey.DATE: s.message.c.internal_date,
    SortKey.SENDER: s.blob.c.from_text,
    SortKey.SUBJECT: s.blob.c.subject,
    SortKey.SIZE: s.message.c.size,
}


def _item(row: Any) -> ListItem:
    m = row._mapping
    return ListItem(m["folder_id"], m["uid"], m["size"], m["internal_date"],
                    join_flags(m["flags"], m["keywords"]), m["subject"], m["from_text"],
                    m["to_text"], m["preview"], bool(m["has_attachments"]))


def _ordered(q: Any, sort: SortKey, descending: bool) -> Any:
    column: Any = _SORT_COLUMNS[sort]
    if sort in (SortKey.SENDER, SortKey.SUBJECT):
        column = func.lower(column)
    keys = (column, s.message.c.folder_id, s.message.c.uid)
    return q.order_by(*(k.desc() if descending else k.asc() for k in keys))


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _bounds(criteria: Criteria) -> list[Any]:
    m = s.message.c
    out = []
    if criteria.date_from:
        out.append(m.internal_date >= datetime.combine(criteria.date_from, time(), UTC))
    if criteria.date_to:
        out.append(m.internal_date < datetime.combine(criteria.date_to + timedelta(days=1),
                                                      time(), UTC))
    return out


def _filters(criteria: Criteria) -> list[Any]:
    b, m = s.blob.c, s.message.c
    out = _bounds(criteria)
    if criteria.sender:
        out.append(b.from_text.ilike(_like(criteria.sender), escape="\\"))
    if criteria.recipient:
        pattern = _like(criteria.recipient)
        out.append(or_(b.to_text.ilike(pattern, escape="\\"),
                       b.cc_text.ilike(pattern, escape="\\")))
    if criteria.subject:
        out.append(b.subject.ilike(_like(criteria.subject), escape="\\"))
    if criteria.has_attachment:
        out.append(b.has_attachments.is_(True))
    if criteria.unread:
        out.append(m.flags.op("&")(SEEN) == 0)
    if criteria.flagged:
        out.append(m.flags.op("&")(FLAGGED) != 0)
    return out


class Listing:
    """Paged, sorted message lists and searches over ``MailStore``'s tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def folder_page(self, account_id: int, folder_id: int, *,
                          sort: SortKey = SortKey.DATE, descending: bool = True,
                          offset: int = 0, limit: int = 50) -> Page:
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        offset = max(0, offset)
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            total = (await conn.execute(select(func.count()).select_from(s.message)
                                        .where(s.message.c.folder_id == folder_id))).scalar()
            q = _joined().where(s.message.c.folder_id == folder_id)
            rows = await conn.execute(_ordered(q, sort, descending).limit(limit).offset(offset))
            return Page(tuple(_item(r) for r in rows), int(total or 0), offset, limit)

    async def search(self, account_id: int, folder_ids: Sequence[int], criteria: Criteria, *,
                     sort: SortKey = SortKey.DATE, descending: bool = True,
                     offset: int = 0, limit: int = 50) -> Page:
        """Messages of ``folder_ids`` matching every given criterion, one page of them."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        offset = max(0, offset)
        async with self.db.read() as conn:
            for folder_id in folder_ids:
                await folders.get_by_id(conn, account_id, folder_id)
            where = [s.message.c.folder_id.in_(list(folder_ids)) if folder_ids else false()]
            where += _filters(criteria)
            if criteria.text.strip():
                where.append(await _text_clause(conn, list(folder_ids), criteria.text.strip()))
            total = (await conn.execute(
                select(func.count()).select_from(_join()).where(and_(*where)))).scalar()
            q = _ordered(_joined().where(and_(*where)), sort, descending)
            rows = await conn.execute(q.limit(limit).offset(offset))
            return Page(tuple(_item(r) for r in rows), int(total or 0), offset, limit)

    async def neighbours(self, account_id: int, folder_id: int, uid: int
                         ) -> tuple[int | None, int | None]:
        """The UIDs before and after ``uid`` in the default order (newest first)."""
        m = s.message.c
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            here = (await conn.execute(select(m.internal_date).where(
                m.folder_id == folder_id, m.uid == uid))).first()
            if here is None:
                return None, None
            # Row values walk ix_message_folder_id_internal_date_uid in both directions.
            key, at = tuple_(m.internal_date, m.uid), tuple_(here[0], uid)
            newer = (await conn.execute(select(m.uid).where(m.folder_id == folder_id, key > at)
                                        .order_by(m.internal_date.asc(), m.uid.asc())
                                        .limit(1))).first()
            older = (await conn.execute(select(m.uid).where(m.folder_id == folder_id, key < at)
                                        .order_by(m.internal_date.desc(), m.uid.desc())
                                        .limit(1))).first()
            return (newer[0] if newer else None), (older[0] if older else None)

    async def folder_counts(self, account_id: int) -> list[FolderStatus]:
        """Every folder of the account with its message and unread counts, in one query
        (``size`` and ``deleted`` are not counted: 0). Walks ix_message_folder_id_flags."""
        m = s.message.c
        async with self.db.read() as conn:
            found = await folders.list_all(conn, account_id)
            if not found:
                return []
            ids = [f.id for f in found]
            total: dict[int, int] = dict(list(await conn.execute(
                select(m.folder_id, func.count()).where(m.folder_id.in_(ids))
                .group_by(m.folder_id))))
            unseen: dict[int, int] = dict(list(await conn.execute(
                select(m.folder_id, func.count())
                .where(m.folder_id.in_(ids), m.flags.op("&")(SEEN) == 0)
                .group_by(m.folder_id))))
        return [FolderStatus(f, int(total.get(f.id, 0)), int(unseen.get(f.id, 0)), 0, 0)
                for f in found]

    async def correspondents(self, account_id: int, limit: int = 500) -> list[tuple[str, str]]:
        """(name, address) of people recently written to (Sent) or heard from (INBOX)."""
        out: dict[str, str] = {}
        async with self.db.read() as conn:
            for use, column in ((SpecialUse.SENT, s.blob.c.to_text),
                                (SpecialUse.SENT, s.blob.c.cc_text),
                                (SpecialUse.INBOX, s.blob.c.from_text)):
                try:
                    folder = await folders.special(conn, account_id, use)
                except NotFound:  # an account without that folder
                    continue
                rows = await conn.execute(
                    select(column).select_from(_join())
                    .where(s.message.c.folder_id == folder.id)
                    .order_by(s.message.c.internal_date.desc()).limit(limit))
                for (value,) in rows:
                    for name, address in email.utils.getaddresses([value or ""]):
                        key = address.strip().lower()
                        if "@" in key and key not in out:
                            out[key] = name.strip()
        return [(name, address) for address, name in out.items()]


def _join() -> Any:
    return s.message.join(s.blob, s.blob.c.id == s.message.c.blob_id)


def _joined() -> Any:
    return select(*_ITEM_COLUMNS).select_from(_join())


async def _text_clause(conn: AsyncConnection, folder_ids: list[int], text: str) -> Any:
    """A WHERE clause for the (newest) messages whose text contains ``text``."""
    pairs = await matching_uids(conn, folder_ids, text, TextField.TEXT)
    if not pairs:
        return false()
    newest = sorted(pairs, key=lambda p: p[1], reverse=True)[:MAX_TEXT_MATCHES]
    by_folder: dict[int, list[int]] = defaultdict(list)
    for folder_id, uid in newest:
        by_folder[folder_id].append(uid)
    m = s.message.c
    return or_(*(and_(m.folder_id == folder_id, m.uid.in_(sorted(uids)))
                 for folder_id, uids in by_folder.items()))
