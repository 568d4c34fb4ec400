"""initial: tenancy, folders, messages, blobs and the full-text index

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from postroom.store.schema import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "organisation",
        _id(),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("mailbox_allocation", sa.Integer, nullable=False),
        sa.Column("storage_allocation", sa.BigInteger, nullable=False),
        sa.Column("smtp_access", sa.Boolean, nullable=False),
        sa.Column("funding", sa.String(20), nullable=False),
        sa.Column("max_messages_per_day", sa.Integer, nullable=False),
        sa.Column("max_new_recipients_per_day", sa.Integer, nullable=False),
        sa.Column("allow_forwarding", sa.Boolean, nullable=False),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "domain",
        _id(),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisation.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(253), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dkim_selector", sa.String(63), nullable=False),
        sa.Column("dkim_private_key", sa.Text, nullable=False),
        sa.Column("last_dns_check", UTCDateTime(), nullable=True),
        sa.Column("dns_result", sa.Text, nullable=True),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "account",
        _id(),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisation.id"), nullable=False,
                  index=True),
        sa.Column("domain_id", sa.Integer, sa.ForeignKey("domain.id"), nullable=False, index=True),
        sa.Column("address", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("quota", sa.BigInteger, nullable=False),
        sa.Column("usage", sa.BigInteger, nullable=False),
        sa.Column("last_uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("password_changed_at", UTCDateTime(), nullable=False),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "alias",
        _id(),
        sa.Column("domain_id", sa.Integer, sa.ForeignKey("domain.id"), nullable=False, index=True),
        sa.Column("address", sa.String(320), nullable=False, unique=True),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "alias_target",
        sa.Column("alias_id", sa.Integer, sa.ForeignKey("alias.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("target", sa.String(320), primary_key=True),
    )
    op.create_table(
        "operator",
        _id(),
        sa.Column("login", sa.String(200), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "folder",
        _id(),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("special_use", sa.String(20), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("uidnext", sa.BigInteger, nullable=False),
        sa.Column("highestmodseq", sa.BigInteger, nullable=False),
        sa.Column("subscribed", sa.Boolean, nullable=False),
        _created(),
        sa.UniqueConstraint("account_id", "name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "blob",
        _id(),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("refcount", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("from_text", sa.Text, nullable=False),
        sa.Column("to_text", sa.Text, nullable=False),
        sa.Column("cc_text", sa.Text, nullable=False),
        sa.Column("sent_date", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("preview", sa.Text, nullable=False),
        sa.Column("has_attachments", sa.Boolean, nullable=False),
        _created(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "message",
        _id(),
        sa.Column("folder_id", sa.Integer, sa.ForeignKey("folder.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("modseq", sa.BigInteger, nullable=False),
        sa.Column("blob_id", sa.Integer, sa.ForeignKey("blob.id"), nullable=False, index=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("internal_date", UTCDateTime(), nullable=False),
        sa.Column("flags", sa.Integer, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.UniqueConstraint("folder_id", "uid"),
        sa.Index("ix_message_folder_id_modseq", "folder_id", "modseq"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "vanished",
        sa.Column("folder_id", sa.Integer, sa.ForeignKey("folder.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("uid", sa.BigInteger, primary_key=True),
        sa.Column("modseq", sa.BigInteger, nullable=False),
    )
    _create_fulltext()


def _create_fulltext() -> None:
    """One index row per blob (rowid / blob_id = blob.id): copies share it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE blob_fts USING fts5("
            "subject, addresses, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE blob_fts (blob_id INTEGER PRIMARY KEY "
            "REFERENCES blob(id) ON DELETE CASCADE, subject TEXT NOT NULL, "
            "addresses TEXT NOT NULL, body TEXT NOT NULL, tsv TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_blob_fts_tsv ON blob_fts USING GIN (tsv)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS blob_fts")
    for name in ("vanished", "message", "blob", "folder", "login_throttle", "operator",
                 "alias_target", "alias", "account", "domain", "organisation"):
        op.drop_table(name)
