"""Identifiers for mail in transit: queue ids (SMTP replies, logs, the CLI) and
Message-IDs (RFC 5322 3.6.4). Both are random, so they reveal nothing and never clash."""

from __future__ import annotations

import secrets
import time


def new_queue_id() -> str:
    """Time-ordered and unique: milliseconds in hex, then 40 random bits."""
    return f"{int(time.time() * 1000):x}{secrets.token_hex(5)}".upper()


def new_message_id(domain: str) -> str:
    """``<random@domain>`` with the brackets."""
    return f"<{secrets.token_urlsafe(18)}@{domain}>"
