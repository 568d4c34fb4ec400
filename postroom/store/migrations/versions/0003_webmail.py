"""webmail: web sessions, user settings, address book, filters, image senders, vacation
replies, and the message indexes for date-sorted lists and unread counts

Revision ID: 0003_webmail
Revises: 0001_initial
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from postroom.store.schema import UTCDateTime

revision = "0003_webmail"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _account_fk(primary_key: bool = False, index: bool = False) -> sa.Column:
    return sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"),
                     nullable=False, primary_key=primary_key, index=index)


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), primary_key=True),
        _account_fk(index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "user_setting",
        _account_fk(primary_key=True),
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _account_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(100), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "email"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "mail_filter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _account_fk(index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("contains", sa.String(500), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("argument", sa.String(1000), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "image_sender",
        _account_fk(primary_key=True),
        sa.Column("sender", sa.String(320), primary_key=True),
    )
    op.create_table(
        "vacation_reply",
        _account_fk(primary_key=True),
        sa.Column("sender", sa.String(320), primary_key=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_message_folder_id_internal_date_uid", "message",
                    ["folder_id", "internal_date", "uid"])
    op.create_index("ix_message_folder_id_flags", "message", ["folder_id", "flags"])


def downgrade() -> None:
    op.drop_index("ix_message_folder_id_flags", table_name="message")
    op.drop_index("ix_message_folder_id_internal_date_uid", table_name="message")
    for name in ("vacation_reply", "image_sender", "mail_filter", "contact", "user_setting",
                 "web_session"):
        op.drop_table(name)
