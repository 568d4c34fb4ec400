"""Table declarations (SQLAlchemy Core) shared by SQLite and PostgreSQL.

The migrations in ``migrations/versions`` create exactly these tables; a test compares
the migrated database with this metadata, so the two cannot drift apart.

Invariants kept by the code that writes these tables (``mailboxes``, ``directory``):
- ``message.uid`` is strictly increasing per folder and never reused within a
  ``folder.uidvalidity``: UIDs come from ``folder.uidnext``, bumped in the same
  transaction as the insert.
- Every change to a folder's messages (append, flags, expunge) takes a new
  ``folder.highestmodseq`` and stamps it on the changed rows (RFC 7162); expunged UIDs
  are remembered in ``vanished`` with their MODSEQ for QRESYNC.
- ``blob.refcount`` equals the number of ``message`` rows pointing at the blob, and
  ``account.usage`` the sum of the sizes of the account's messages (``postroom verify``
  checks both).
- ``message.conversation_id`` is set once, when the row is inserted, and never changes;
  a copy carries its source's. Within an account it names one conversation: it is the
  blob id of the message that began it, and blob ids are never reused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both dialects (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _created() -> Column[datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)


# --- tenancy -------------------------------------------------------------------------

organisation = Table(
    "organisation",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("mailbox_allocation", Integer, nullable=False),
    Column("storage_allocation", BigInteger, nullable=False),
    Column("smtp_access", Boolean, nullable=False),
    Column("funding", String(20), nullable=False),
    Column("max_messages_per_day", Integer, nullable=False),
    Column("max_new_recipients_per_day", Integer, nullable=False),
    Column("allow_forwarding", Boolean, nullable=False),
    _created(),
    sqlite_autoincrement=True,
)

domain = Table(
    "domain",
    metadata,
    _id(),
    Column("organisation_id", Integer, ForeignKey("organisation.id"), nullable=False, index=True),
    Column("name", String(253), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("dkim_selector", String(63), nullable=False),
    Column("dkim_private_key", Text, nullable=False),
    Column("last_dns_check", UTCDateTime(), nullable=True),
    Column("dns_result", Text, nullable=True),
    _created(),
    sqlite_autoincrement=True,
)

account = Table(
    "account",
    metadata,
    _id(),
    Column("organisation_id", Integer, ForeignKey("organisation.id"), nullable=False, index=True),
    Column("domain_id", Integer, ForeignKey("domain.id"), nullable=False, index=True),
    Column("address", String(320), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Column("quota", BigInteger, nullable=False),
    Column("usage", BigInteger, nullable=False),
    # Last UIDVALIDITY given to one of the account's folders (never reused, RFC 3501 2.3.1.1).
    Column("last_uidvalidity", BigInteger, nullable=False),
    Column("password_changed_at", UTCDateTime(), nullable=False),
    _created(),
    sqlite_autoincrement=True,
)

alias = Table(
    "alias",
    metadata,
    _id(),
    Column("domain_id", Integer, ForeignKey("domain.id"), nullable=False, index=True),
    Column("address", String(320), nullable=False, unique=True),
    _created(),
    sqlite_autoincrement=True,
)

alias_target = Table(
    "alias_target",
    metadata,
    Column("alias_id", Integer, ForeignKey("alias.id", ondelete="CASCADE"), primary_key=True),
    Column("target", String(320), primary_key=True),
)

operator = Table(
    "operator",
    metadata,
    _id(),
    Column("login", String(200), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    _created(),
    sqlite_autoincrement=True,
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", UTCDateTime(), nullable=False),
    Column("blocked_until", UTCDateTime(), nullable=True),
)

# --- mail ----------------------------------------------------------------------------

folder = Table(
    "folder",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(1000), nullable=False),
    Column("special_use", String(20), nullable=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uidnext", BigInteger, nullable=False),
    Column("highestmodseq", BigInteger, nullable=False),
    Column("subscribed", Boolean, nullable=False),
    _created(),
    UniqueConstraint("account_id", "name"),
    sqlite_autoincrement=True,
)

blob = Table(
    "blob",
    metadata,
    _id(),
    Column("hash", String(64), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("refcount", Integer, nullable=False),
    # The parsed summary (postroom.mail.summary.MessageSummary as JSON), computed once.
    Column("summary", Text, nullable=False),
    # Denormalised header fields for message lists, SORT and header SEARCH keys.
    Column("subject", Text, nullable=False),
    Column("from_text", Text, nullable=False),
    Column("to_text", Text, nullable=False),
    Column("cc_text", Text, nullable=False),
    Column("sent_date", UTCDateTime(), nullable=True),
    Column("message_id", Text, nullable=False),
    Column("preview", Text, nullable=False),
    Column("has_attachments", Boolean, nullable=False),
    _created(),
    # postroom.mail.conversations.message_id_key(message_id), NULL without a Message-ID:
    # replies find the conversation they belong to through it (0004_conversations).
    Column("message_id_hash", BigInteger, nullable=True, index=True),
    sqlite_autoincrement=True,
)

message = Table(
    "message",
    metadata,
    _id(),
    Column("folder_id", Integer, ForeignKey("folder.id", ondelete="CASCADE"), nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("modseq", BigInteger, nullable=False),
    Column("blob_id", Integer, ForeignKey("blob.id"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("internal_date", UTCDateTime(), nullable=False),
    # System flags as a bit set (see mailboxes.SYSTEM_FLAGS); keywords as JSON list.
    Column("flags", Integer, nullable=False),
    Column("keywords", Text, nullable=False),
    # Per account: the blob id of the message that started the conversation (see
    # ``conversations``); copies and moves keep it (0004_conversations).
    Column("conversation_id", BigInteger, nullable=False),
    UniqueConstraint("folder_id", "uid"),
    Index("ix_message_folder_id_modseq", "folder_id", "modseq"),
    sqlite_autoincrement=True,
)

vanished = Table(
    "vanished",
    metadata,
    Column("folder_id", Integer, ForeignKey("folder.id", ondelete="CASCADE"), primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("modseq", BigInteger, nullable=False),
)

# --- web mail (issue 6): sessions, per-user settings, address book, filters ----------
# Written only by ``websessions`` and ``userdata``; rows go with their account (CASCADE).

web_session = Table(
    "web_session",
    metadata,
    # SHA-256 (hex) of the random cookie token: a copy of the table gives no sessions.
    Column("id", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

user_setting = Table(
    "user_setting",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("name", String(50), primary_key=True),
    # JSON; the shape per name is given by ``userdata``.
    Column("value", Text, nullable=False),
)

contact = Table(
    "contact",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("phone", String(100), nullable=False),
    Column("notes", Text, nullable=False),
    _created(),
    UniqueConstraint("account_id", "email"),
    sqlite_autoincrement=True,
)

mail_filter = Table(
    "mail_filter",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("position", Integer, nullable=False),
    Column("field", String(20), nullable=False),
    Column("contains", String(500), nullable=False),
    Column("action", String(20), nullable=False),
    Column("argument", String(1000), nullable=False),
    Column("enabled", Boolean, nullable=False),
    _created(),
    sqlite_autoincrement=True,
)

image_sender = Table(
    "image_sender",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("sender", String(320), primary_key=True),
)

vacation_reply = Table(
    "vacation_reply",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("sender", String(320), primary_key=True),
    Column("sent_at", UTCDateTime(), nullable=False),
)

# The web mail's message list sorts a folder by arrival: this index keeps its pages fast
# on 100,000 messages (ORDER BY internal_date, uid LIMIT/OFFSET walks the index).
Index("ix_message_folder_id_internal_date_uid",
      message.c.folder_id, message.c.internal_date, message.c.uid)
# ... and its folder list counts unread messages from this index alone (Listing.folder_counts).
Index("ix_message_folder_id_flags", message.c.folder_id, message.c.flags)
# Conversations (0004_conversations): "is there a newer message of this conversation in
# this folder?" is one probe of this index, so a folder's conversation list walks the
# date index and skips the older messages of each conversation (Listing.conversation_page).
Index("ix_message_folder_id_conversation_id_internal_date_uid", message.c.folder_id,
      message.c.conversation_id, message.c.internal_date, message.c.uid)

# --- delivery: outbound queue, sending limits, delivery log (migration 0002_delivery) ---
#
# Invariants kept by ``postroom.store.queue`` and ``postroom.store.deliverylog``:
# - Each ``queue_message`` row holds one reference on its ``blob`` (``blob.refcount``
#   counts message rows and queue messages); the row and its reference go away together
#   once every recipient is final and its notice has been sent.
# - A ``queue_recipient`` is ``queued``, ``held``, ``sending`` (claimed by a worker until
#   ``claimed_until``; an expired claim is due again, so a crash loses nothing),
#   ``delivered`` or ``failed``.
# - ``delivery_log`` rows carry a retention class and are purged after ``expires_at``.

queue_message = Table(
    "queue_message",
    metadata,
    _id(),
    Column("queue_id", String(32), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id", ondelete="SET NULL"), nullable=True,
           index=True),
    Column("mail_from", String(320), nullable=False),
    Column("blob_id", Integer, ForeignKey("blob.id"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("envid", String(100), nullable=True),
    Column("ret", String(4), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

queue_recipient = Table(
    "queue_recipient",
    metadata,
    _id(),
    Column("message_id", Integer, ForeignKey("queue_message.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("address", String(320), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("local", Boolean, nullable=False),
    Column("orcpt", String(500), nullable=True),
    Column("notify", String(40), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("last_code", Integer, nullable=True),
    Column("last_status", String(12), nullable=True),
    Column("last_response", Text, nullable=True),
    Column("remote_host", String(255), nullable=True),
    Column("notified", Boolean, nullable=False),
    Column("delay_notified", Boolean, nullable=False),
    Index("ix_queue_recipient_status_next_attempt_at", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

sending_hold = Table(
    "sending_hold",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

send_counter = Table(
    "send_counter",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("messages", Integer, nullable=False),
    Column("new_recipients", Integer, nullable=False),
)

known_recipient = Table(
    "known_recipient",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"),
           primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("first_sent_at", UTCDateTime(), nullable=False),
)

delivery_log = Table(
    "delivery_log",
    metadata,
    _id(),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("retention_class", String(20), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("queue_id", String(32), nullable=True, index=True),
    Column("entry", Text, nullable=False),
    sqlite_autoincrement=True,
)
