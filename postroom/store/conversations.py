"""Conversations: which conversation a message joins when it is stored.

Purpose: the web mail shows a folder as conversations (threads). Each message row gets a
per-account ``conversation_id`` once, at insert (``MailStore.deliver`` / ``append``),
by the rule below; the lists (``listing``) only read it.

The rule (JMAP-like; RFC 5256 REFERENCES in spirit, without its tree building):
a message joins the conversation of an existing message *of the same account* whose
Message-ID it names in In-Reply-To or References and whose conversation subject
(``postroom.mail.conversations.conversation_subject``) is the same as its own; the
nearest ancestor wins (In-Reply-To, then References from the last). Otherwise it
starts a conversation whose id is its own blob id.

Invariants:
- A conversation id names one conversation per account: it is the blob id of the
  message that began it, and blob ids are never reused (AUTOINCREMENT / a sequence).
  The same bytes stored twice in an account (a copy to oneself) land in one conversation.
- Copies and moves keep the source row's id (``messages.copy``); nothing ever changes
  it afterwards. A reply stored *before* its parent starts its own conversation, and
  the two are not merged later.
- No query for a message that answers nothing; for a reply, two indexed queries that
  read at most ``MAX_CANDIDATES`` rows each: ``blob.message_id_hash`` -> blob ids,
  then ``message.blob_id`` joined to ``folder`` (primary key) for the account. Two
  steps, because as one join PostgreSQL without fresh statistics was seen scanning all
  of the account's messages (0.4 s per delivery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.mail.conversations import conversation_subject, message_id_key, parent_ids
from postroom.store import schema as s

#: Rows read per look-up: a Message-ID copied into thousands of messages (spam) must not
#: make delivery slow.
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class ThreadFields:
    """What the conversation rule reads of a new message (from its summary)."""

    parent_ids: tuple[str, ...]  # nearest first (mail.conversations.parent_ids)
    subject: str  # conversation_subject() of its Subject


async def assign(conn: AsyncConnection, account_id: int, blob_id: int,
                 thread: ThreadFields) -> int:
    """The conversation id for a message of blob ``blob_id`` stored in ``account_id``."""
    found = await find_parent_conversation(conn, account_id, thread)
    return blob_id if found is None else found


async def find_parent_conversation(conn: AsyncConnection, account_id: int,
                                   thread: ThreadFields) -> int | None:
    """The conversation of the nearest stored ancestor with the same subject, or None."""
    keys = {key: rank for rank, mid in enumerate(thread.parent_ids)
            if (key := message_id_key(mid)) is not None}
    if not keys:
        return None
    b, m, f = s.blob.c, s.message.c, s.folder.c
    # Two steps, each on its own index, so no planner statistics (a freshly loaded
    # PostgreSQL table has none) can turn this into a scan of the account's messages.
    blobs = {row.id: row for row in await conn.execute(
        select(b.id, b.message_id_hash, b.message_id, b.subject)
        .where(b.message_id_hash.in_(list(keys))).limit(4 * MAX_CANDIDATES))}
    if not blobs:
        return None
    found = await conn.execute(
        select(m.blob_id, m.conversation_id)
        .select_from(s.message.join(s.folder, f.id == m.folder_id))
        .where(m.blob_id.in_(list(blobs)), f.account_id == account_id)
        .limit(MAX_CANDIDATES))
    rows = [(blobs[blob_id].message_id_hash, blobs[blob_id].message_id,
             blobs[blob_id].subject, conversation_id) for blob_id, conversation_id in found]
    best: tuple[int, int] | None = None  # (rank, conversation id)
    for key, message_id, subject, conversation_id in rows:
        rank = keys[key]
        if message_id != thread.parent_ids[rank]:  # a hash collision: not that message
            continue
        if conversation_subject(subject) != thread.subject:
            continue
        if best is None or rank < best[0]:
            best = (rank, int(conversation_id))
    return None if best is None else best[1]


def thread_fields(subject: str | None, in_reply_to: str | None,
                  references: Sequence[str]) -> ThreadFields:
    """The rule's view of a message, from its decoded Subject, In-Reply-To, References."""
    return ThreadFields(parent_ids(in_reply_to, references), conversation_subject(subject))
