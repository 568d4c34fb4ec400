"""conversations: message.conversation_id, blob.message_id_hash and their indexes, with
every stored message placed in a conversation by the rule new mail follows

Revision ID: 0004_conversations
Revises: 0003_webmail
Create Date: 2026-11-29

The backfill applies ``postroom.store.conversations``' rule to the messages there are,
account by account, oldest (internal date) first: a message joins the conversation of
an earlier message of the account whose Message-ID it names in In-Reply-To/References
with the same conversation subject, else it begins one whose id is its blob id; every
copy of one blob in an account is in one conversation. It reads each blob's summary
once, in batches, so memory stays small on a large store.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from postroom.mail.conversations import conversation_subject, message_id_key, parent_ids

revision = "0004_conversations"
down_revision = "0003_webmail"
branch_labels = None
depends_on = None

_BATCH = 1000

_blob = sa.table("blob", sa.column("id", sa.Integer), sa.column("message_id", sa.Text),
                 sa.column("subject", sa.Text), sa.column("summary", sa.Text),
                 sa.column("message_id_hash", sa.BigInteger))
_message = sa.table("message", sa.column("id", sa.Integer), sa.column("folder_id", sa.Integer),
                    sa.column("blob_id", sa.Integer), sa.column("internal_date", sa.DateTime),
                    sa.column("conversation_id", sa.BigInteger))
_folder = sa.table("folder", sa.column("id", sa.Integer), sa.column("account_id", sa.Integer))


def upgrade() -> None:
    op.add_column("blob", sa.Column("message_id_hash", sa.BigInteger, nullable=True))
    op.add_column("message", sa.Column("conversation_id", sa.BigInteger, nullable=True))
    threads = _hash_blobs()
    _place_messages(threads)
    with op.batch_alter_table("message", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("conversation_id", existing_type=sa.BigInteger, nullable=False)
    op.create_index("ix_blob_message_id_hash", "blob", ["message_id_hash"])
    op.create_index("ix_message_folder_id_conversation_id_internal_date_uid", "message",
                    ["folder_id", "conversation_id", "internal_date", "uid"])


def _hash_blobs() -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """Set blob.message_id_hash; returns blob id -> (Message-ID, subject key, parents)."""
    conn = op.get_bind()
    out: dict[int, tuple[str, str, tuple[str, ...]]] = {}
    last = 0
    while True:
        rows = conn.execute(sa.select(_blob.c.id, _blob.c.message_id, _blob.c.subject,
                                      _blob.c.summary)
                            .where(_blob.c.id > last).order_by(_blob.c.id).limit(_BATCH)).all()
        if not rows:
            return out
        last = rows[-1][0]
        updates = []
        for blob_id, message_id, subject, summary in rows:
            headers = _headers(summary)
            out[blob_id] = (message_id, conversation_subject(subject),
                            parent_ids(headers.get("in_reply_to"),
                                       headers.get("references") or []))
            key = message_id_key(message_id)
            if key is not None:
                updates.append({"b_id": blob_id, "b_key": key})
        if updates:
            conn.execute(_blob.update().where(_blob.c.id == sa.bindparam("b_id"))
                         .values(message_id_hash=sa.bindparam("b_key")), updates)


def _headers(summary: str) -> dict[str, Any]:
    try:
        headers = json.loads(summary).get("headers")
    except (ValueError, AttributeError):
        return {}
    return headers if isinstance(headers, dict) else {}


def _place_messages(threads: dict[int, tuple[str, str, tuple[str, ...]]]) -> None:
    conn = op.get_bind()
    accounts = [r[0] for r in conn.execute(sa.select(_folder.c.account_id).distinct())]
    for account_id in accounts:
        rows = conn.execute(
            sa.select(_message.c.id, _message.c.blob_id)
            .select_from(_message.join(_folder, _folder.c.id == _message.c.folder_id))
            .where(_folder.c.account_id == account_id)
            .order_by(_message.c.internal_date, _message.c.id)).all()
        by_blob: dict[int, int] = {}
        by_message_id: dict[str, list[tuple[int, str]]] = {}
        updates = []
        for message_row_id, blob_id in rows:
            if blob_id not in by_blob:
                message_id, subject, parents = threads.get(blob_id, ("", "", ()))
                by_blob[blob_id] = _conversation_of(blob_id, subject, parents, by_message_id)
                if message_id:
                    by_message_id.setdefault(message_id, []).append((by_blob[blob_id], subject))
            updates.append({"m_id": message_row_id, "m_conv": by_blob[blob_id]})
            if len(updates) == _BATCH:
                _write(updates)
                updates = []
        if updates:
            _write(updates)


def _conversation_of(blob_id: int, subject: str, parents: tuple[str, ...],
                     by_message_id: dict[str, list[tuple[int, str]]]) -> int:
    for parent in parents:  # nearest first
        for conversation_id, parent_subject in by_message_id.get(parent, ()):
            if parent_subject == subject:
                return conversation_id
    return blob_id


def _write(updates: list[dict[str, int]]) -> None:
    op.get_bind().execute(_message.update().where(_message.c.id == sa.bindparam("m_id"))
                          .values(conversation_id=sa.bindparam("m_conv")), updates)


def downgrade() -> None:
    op.drop_index("ix_message_folder_id_conversation_id_internal_date_uid",
                  table_name="message")
    op.drop_index("ix_blob_message_id_hash", table_name="blob")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): recreating ``blob``
    # would trip the foreign keys that point at it.
    op.drop_column("message", "conversation_id")
    op.drop_column("blob", "message_id_hash")
