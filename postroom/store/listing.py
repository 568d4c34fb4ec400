"""Message lists for the web mail: one page of a folder, sorted, and search results.

Purpose: answer "messages 51 to 100 of this folder by date" without touching the other
99,950 rows, and "messages from X with an attachment containing Y" across folders.

Invariants:
- Every query is scoped: each folder id is first looked up within the account
  (``folders.get_by_id``), so another account's folder raises NotFound.
- Pages come from the database with ORDER BY ... LIMIT/OFFSET and a UID tie-break, so
  the order is total and stable; sorting by date walks
  ``ix_message_folder_id_internal_date_uid``.
- A conversation list (``conversation_page``) has one line per conversation with
  messages in the folder: its newest message there (no newer row of the same
  ``conversation_id`` in the folder). Nothing is denormalised for it, so no write path
  has to keep anything in step; the conversation index makes "is there a newer one" two
  seeks. Conversations are per account: every query names folders of the account.
- Text search uses the full-text index (``search.matching_uids``); at most
  ``MAX_TEXT_MATCHES`` (the newest) take part, so one broad word cannot load a whole
  account into memory. Header filters are SQL ``LIKE`` on the denormalised blob fields,
  with the pattern characters of the user's text escaped.
"""

from __future__ import annotations

import email.utils
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, distinct, exists, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import NotFound
from postroom.store import folders
from postroom.store import schema as s
from postroom.store.db import Database
from postroom.store.flags import FLAGGED, SEEN, join_flags
from postroom.store.records import FolderInfo, FolderStatus, SpecialUse
from postroom.store.search import TextField, matching_uids

MAX_PAGE_SIZE = 200
MAX_TEXT_MATCHES = 10_000
#: A conversation view shows at most this many messages (the newest).
MAX_CONVERSATION_MESSAGES = 500
#: Rows read to name the senders of a page of conversations.
_SENDER_ROWS = 1000


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
    conversation_id: int = 0
    blob_id: int = 0

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
class ConversationItem:
    """One line of a conversation list: a conversation as it is in one folder."""

    latest: ListItem  # its newest message in the folder
    count: int  # its messages in the folder
    unread: int  # ... of which unread
    flagged: bool  # any of them flagged
    participants: tuple[str, ...]  # names of its senders in the folder, oldest first
    shown: int = 1  # its messages a conversation view shows (Listing.conversation, max.)

    @property
    def conversation_id(self) -> int:
        return self.latest.conversation_id

    @property
    def seen(self) -> bool:
        return self.unread == 0

    @property
    def single(self) -> bool:
        """One message here and nowhere else: the list shows it as a plain message."""
        return self.count == 1 and self.shown <= 1


@dataclass(frozen=True)
class ConversationPage:
    items: tuple[ConversationItem, ...]
    total: int  # conversations in the folder
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
    s.blob.c.to_text, s.blob.c.preview, s.blob.c.has_attachments, s.message.c.conversation_id,
    s.message.c.blob_id,
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
                    m["to_text"], m["preview"], bool(m["has_attachments"]),
                    int(m["conversation_id"]), int(m["blob_id"]))


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

    # --- conversations ------------------------------------------------------------------

    async def conversation_page(self, account_id: int, folder_id: int, *,
                                sort: SortKey = SortKey.DATE, descending: bool = True,
                                offset: int = 0, limit: int = 50) -> ConversationPage:
        """One line per conversation with messages in the folder: its newest message there,
        how many it has there, how many unread, whether any is flagged, and who wrote.

        The lines are the folder's messages that have no newer message of their
        conversation in the folder (two seeks in the conversation index each), so the
        date order walks ``ix_message_folder_id_internal_date_uid`` and stops after the
        page; the counts are read for the page's conversations only.
        """
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        offset = max(0, offset)
        m = s.message.c
        async with self.db.read() as conn:
            here = await folders.get_by_id(conn, account_id, folder_id)
            shown_in = await _shown_folders(conn, account_id, here)
            total = (await conn.execute(select(func.count(distinct(m.conversation_id)))
                                        .where(m.folder_id == folder_id))).scalar()
            q = _joined().where(m.folder_id == folder_id, _NEWEST_IN_ITS_FOLDER)
            rows = await conn.execute(_ordered(q, sort, descending).limit(limit).offset(offset))
            latest = [_item(r) for r in rows]
            items = await _conversation_items(conn, folder_id, shown_in, latest)
        return ConversationPage(items, int(total or 0), offset, limit)

    async def conversation_uids(self, account_id: int, folder_id: int,
                                conversation_ids: Sequence[int]) -> list[int]:
        """The UIDs of the folder's messages in these conversations (for actions on them)."""
        m = s.message.c
        wanted = sorted(set(conversation_ids))
        out: list[int] = []
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            for i in range(0, len(wanted), 500):
                out += [r[0] for r in await conn.execute(
                    select(m.uid).where(m.folder_id == folder_id,
                                        m.conversation_id.in_(wanted[i:i + 500])))]
        return sorted(out)

    async def conversation(self, account_id: int, conversation_id: int,
                           folder_id: int) -> list[ListItem]:
        """The account's messages of a conversation, oldest first: those in ``folder_id``
        and in every folder but Trash and Junk; one per blob (the one in ``folder_id``
        when there is one there); at most the newest ``MAX_CONVERSATION_MESSAGES``."""
        m = s.message.c
        async with self.db.read() as conn:
            here = await folders.get_by_id(conn, account_id, folder_id)
            ids = await _shown_folders(conn, account_id, here)
            rows = await conn.execute(
                _joined().where(m.folder_id.in_(ids), m.conversation_id == conversation_id)
                .order_by(m.internal_date.desc(), m.folder_id.desc(), m.uid.desc())
                .limit(MAX_CONVERSATION_MESSAGES))
            found = [_item(r) for r in rows]
        by_blob: dict[int, ListItem] = {}
        for item in found:
            kept = by_blob.get(item.blob_id)
            if kept is None or (item.folder_id == folder_id and kept.folder_id != folder_id):
                by_blob[item.blob_id] = item
        return sorted(by_blob.values(), key=lambda i: (i.internal_date, i.folder_id, i.uid))

    async def conversation_neighbours(self, account_id: int, folder_id: int,
                                      latest: ListItem) -> tuple[int | None, int | None]:
        """The conversations before and after the one whose newest message in the folder
        is ``latest``, in the default order (newest first): their ids, or None."""
        m = s.message.c
        key, at = tuple_(m.internal_date, m.uid), tuple_(latest.internal_date, latest.uid)
        base = select(m.conversation_id).where(m.folder_id == folder_id,
                                               _NEWEST_IN_ITS_FOLDER)
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            newer = (await conn.execute(base.where(key > at).order_by(
                m.internal_date.asc(), m.uid.asc()).limit(1))).first()
            older = (await conn.execute(base.where(key < at).order_by(
                m.internal_date.desc(), m.uid.desc()).limit(1))).first()
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


def _newest_in_its_folder() -> Any:
    """No newer message (internal date, then UID) of the row's conversation in the row's
    folder: two seeks in ``ix_message_folder_id_conversation_id_internal_date_uid``.

    Two NOT EXISTS rather than one row-value comparison: SQLite seeks a row value only
    on its first column, and would then step through every message of the conversation
    with the same internal date (copies keep theirs)."""
    m, later, same = s.message.c, s.message.alias("later").c, s.message.alias("same").c
    return and_(
        ~exists().where(later.folder_id == m.folder_id,
                        later.conversation_id == m.conversation_id,
                        later.internal_date > m.internal_date),
        ~exists().where(same.folder_id == m.folder_id, same.conversation_id == m.conversation_id,
                        same.internal_date == m.internal_date, same.uid > m.uid))


_NEWEST_IN_ITS_FOLDER = _newest_in_its_folder()


async def _shown_folders(conn: AsyncConnection, account_id: int,
                         here: FolderInfo) -> list[int]:
    """The folders a conversation view of ``here`` shows: it and all but Trash and Junk."""
    return [f.id for f in await folders.list_all(conn, account_id)
            if f.id == here.id or f.special_use not in (SpecialUse.TRASH, SpecialUse.JUNK)]


async def _conversation_items(conn: AsyncConnection, folder_id: int, shown_in: list[int],
                              latest: list[ListItem]) -> tuple[ConversationItem, ...]:
    """Counts, unread, flagged and senders of the conversations of ``latest`` in the folder,
    and how many messages their conversation views show. Each query seeks the page's
    conversations in the conversation index; the senders come from at most
    ``_SENDER_ROWS`` rows, so a conversation of thousands of messages costs its counts
    and no more (its senders may then be only the newest message's)."""
    if not latest:
        return ()
    m, b = s.message.c, s.blob.c
    ids = [item.conversation_id for item in latest]
    counts = {r[0]: (int(r[1]), int(r[2] or 0), bool(r[3])) for r in await conn.execute(
        select(m.conversation_id, func.count(),
               func.sum(case((m.flags.op("&")(SEEN) == 0, 1), else_=0)),
               func.max(m.flags.op("&")(FLAGGED)))
        .where(m.folder_id == folder_id, m.conversation_id.in_(ids))
        .group_by(m.conversation_id))}
    shown = {r[0]: int(r[1]) for r in await conn.execute(
        select(m.conversation_id, func.count(distinct(m.blob_id)))
        .where(m.folder_id.in_(shown_in), m.conversation_id.in_(ids))
        .group_by(m.conversation_id))}
    senders: dict[int, list[str]] = defaultdict(list)
    for conversation_id, from_text in await conn.execute(
            select(m.conversation_id, b.from_text).select_from(_join())
            .where(m.folder_id == folder_id, m.conversation_id.in_(ids))
            # The conversation index's order: by date alone SQLite would walk the folder.
            .order_by(m.conversation_id, m.internal_date, m.uid).limit(_SENDER_ROWS)):
        senders[conversation_id].append(from_text)
    out = []
    for item in latest:
        count, unread, flagged = counts.get(item.conversation_id, (1, 0, False))
        names = senders.get(item.conversation_id) or [item.from_text]
        out.append(ConversationItem(item, count, unread, flagged, _participants(names),
                                    shown.get(item.conversation_id, 1)))
    return tuple(out)


def _participants(from_texts: Iterable[str]) -> tuple[str, ...]:
    """Display names (or addresses) of the first sender of each From text, once each."""
    names: dict[str, str] = {}
    for text in from_texts:
        name, address = _first_sender(text or "")
        key = address.lower() or name
        if key and key not in names:
            names[key] = name or address
    return tuple(names.values())


def _first_sender(text: str) -> tuple[str, str]:
    """(name, address) of the first mailbox of a From text as ``parsing`` writes it
    (``Name <address>, ...`` or ``address, ...``): no RFC 5322 parser needed, and
    ``email.utils`` would cost more than the page's queries."""
    comma = text.find(",")
    head = text[:comma] if comma >= 0 else text
    if "<" not in head and "@" in head:  # a bare address comes first
        return "", head.strip()
    opening = text.find("<")
    closing = text.find(">", opening)
    if opening >= 0 and closing > opening:  # the name may hold a comma: "Doe, Jo <j@x>"
        return text[:opening].strip(), text[opening + 1:closing].strip()
    return "", head.strip()


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
