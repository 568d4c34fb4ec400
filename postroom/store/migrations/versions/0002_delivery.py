"""delivery: outbound queue, sending holds and counters, delivery log

Revision ID: 0002_delivery
Revises: 0001_initial
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from postroom.store.schema import UTCDateTime

revision = "0002_delivery"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "queue_message",
        _id(),
        sa.Column("queue_id", sa.String(32), nullable=False, unique=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="SET NULL"),
                  nullable=True, index=True),
        sa.Column("mail_from", sa.String(320), nullable=False),
        sa.Column("blob_id", sa.Integer, sa.ForeignKey("blob.id"), nullable=False, index=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("envid", sa.String(100), nullable=True),
        sa.Column("ret", sa.String(4), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "queue_recipient",
        _id(),
        sa.Column("message_id", sa.Integer,
                  sa.ForeignKey("queue_message.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("local", sa.Boolean, nullable=False),
        sa.Column("orcpt", sa.String(500), nullable=True),
        sa.Column("notify", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("last_code", sa.Integer, nullable=True),
        sa.Column("last_status", sa.String(12), nullable=True),
        sa.Column("last_response", sa.Text, nullable=True),
        sa.Column("remote_host", sa.String(255), nullable=True),
        sa.Column("notified", sa.Boolean, nullable=False),
        sa.Column("delay_notified", sa.Boolean, nullable=False),
        sa.Index("ix_queue_recipient_status_next_attempt_at", "status", "next_attempt_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sending_hold",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "send_counter",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("messages", sa.Integer, nullable=False),
        sa.Column("new_recipients", sa.Integer, nullable=False),
    )
    op.create_table(
        "known_recipient",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("first_sent_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "delivery_log",
        _id(),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("retention_class", sa.String(20), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("queue_id", sa.String(32), nullable=True, index=True),
        sa.Column("entry", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    for name in ("delivery_log", "known_recipient", "send_counter", "sending_hold",
                 "queue_recipient", "queue_message"):
        op.drop_table(name)
