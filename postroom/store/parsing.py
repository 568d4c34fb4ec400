"""From message bytes to the fields the store keeps per blob (computed once).

Runs in a worker thread (``MailStore.deliver``): parsing a 50 MiB message must not stall
the event loop. The MIME parser never raises (``postroom.mail.summary``), so neither does
this.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from postroom.mail.summary import MimeLimits, summarize
from postroom.store.conversations import thread_fields
from postroom.store.messages import BlobFields


def _addresses_text(items: list[dict[str, Any]]) -> str:
    """``Ann Example <ann@example.org>, bob@example.org`` for lists and header search."""
    out = []
    for a in items:
        name, address = a.get("name") or "", a.get("address") or ""
        out.append(f"{name} <{address}>" if name else address)
    return ", ".join(out)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def blob_fields(raw: bytes, digest: str, limits: MimeLimits) -> BlobFields:
    summary = summarize(raw, limits)
    data = summary.to_json()
    text = data["text"]
    data["text"] = ""  # indexed in blob_fts, not stored twice
    headers = summary.headers
    subject = (headers.get("subject") or "")[:1000]
    return BlobFields(
        hash=digest,
        size=len(raw),
        summary_json=json.dumps(data),
        subject=subject,
        from_text=_addresses_text(headers.get("from") or [])[:1000],
        to_text=_addresses_text(headers.get("to") or [])[:2000],
        cc_text=_addresses_text(headers.get("cc") or [])[:2000],
        sent_date=_date(headers.get("date")),
        message_id=(headers.get("message_id") or "")[:1000],
        preview=summary.preview,
        has_attachments=summary.has_attachments,
        index_text=text,
        thread=thread_fields(subject, headers.get("in_reply_to"),
                             headers.get("references") or []),
    )
