"""Delivery status notifications (RFC 3464) for the sender of queued mail.

``build_dsn`` makes one ``multipart/report; report-type=delivery-status`` message
(RFC 6522) for a set of recipients of one queued message: a human-readable part, the
``message/delivery-status`` part (per-message fields, then one block per recipient:
``Final-Recipient``, ``Action`` failed/delayed, ``Status``, ``Remote-MTA``,
``Diagnostic-Code``), and the returned message's header (``text/rfc822-headers``, RFC
6522) — headers only unless RET=FULL, so a DSN never doubles a large message.

Invariants: a DSN is sent from the null reverse-path (RFC 5321 4.5.5), so a DSN about a
DSN can never happen; texts quote remote replies only in the machine-readable part.
"""

from __future__ import annotations

import email.utils
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from postroom.delivery.cleanup import split_message


@dataclass(frozen=True)
class DsnRecipient:
    address: str
    action: str  # "failed" or "delayed" (RFC 3464 2.3.3)
    status: str  # enhanced status code, e.g. 5.1.1
    remote_mta: str | None = None
    diagnostic: str | None = None  # the remote reply, "smtp; 550 5.1.1 ..."
    orcpt: str | None = None
    last_attempt: datetime | None = None


def _clean(text: str, limit: int = 900) -> str:
    return "".join(c if 0x20 <= ord(c) < 0x7F else " " for c in text)[:limit]


def build_dsn(*, hostname: str, to: str, queue_id: str, original: bytes,
              recipients: Sequence[DsnRecipient], arrival: datetime,
              envid: str | None = None, full: bool = False,
              now: datetime | None = None) -> bytes:
    now = now or datetime.now(UTC)
    delayed = all(r.action == "delayed" for r in recipients)
    boundary = f"=_dsn_{secrets.token_hex(12)}"
    subject = ("Delivery delayed: message not yet delivered" if delayed
               else "Undelivered mail returned to sender")
    human = _human_text(recipients, delayed)
    fields = [f"Reporting-MTA: dns; {hostname}", f"X-Postroom-Queue-ID: {queue_id}",
              f"Arrival-Date: {email.utils.format_datetime(arrival)}"]
    if envid:
        fields.insert(0, f"Original-Envelope-Id: {_clean(envid, 100)}")
    blocks = ["\r\n".join(fields)]
    for r in recipients:
        lines = []
        if r.orcpt:
            lines.append(f"Original-Recipient: {_clean(r.orcpt, 500)}")
        lines += [f"Final-Recipient: rfc822; {r.address}", f"Action: {r.action}",
                  f"Status: {r.status}"]
        if r.remote_mta:
            lines.append(f"Remote-MTA: dns; {_clean(r.remote_mta, 255)}")
        if r.diagnostic:
            lines.append(f"Diagnostic-Code: smtp; {_clean(r.diagnostic)}")
        if r.last_attempt:
            lines.append(f"Last-Attempt-Date: {email.utils.format_datetime(r.last_attempt)}")
        blocks.append("\r\n".join(lines))
    head, _ = split_message(original)
    returned_type = "message/rfc822" if full else "text/rfc822-headers"
    returned = original if full else head
    parts = [
        f"From: Mail Delivery System <MAILER-DAEMON@{hostname}>",
        f"To: <{to}>",
        f"Subject: {subject}",
        f"Date: {email.utils.format_datetime(now)}",
        f"Message-ID: <{secrets.token_urlsafe(18)}@{hostname}>",
        "Auto-Submitted: auto-replied",  # RFC 3834 5
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-formatted delivery status notification.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        human,
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "\r\n\r\n".join(blocks),
        "",
        f"--{boundary}",
        f"Content-Type: {returned_type}",
        "",
    ]
    text = "\r\n".join(parts).encode("ascii") + b"\r\n"
    return text + returned + f"\r\n--{boundary}--\r\n".encode("ascii")


def _human_text(recipients: Sequence[DsnRecipient], delayed: bool) -> str:
    if delayed:
        intro = ("Your message has not been delivered yet to the recipients below. "
                 "Postroom keeps trying; you do not need to send it again.")
    else:
        intro = ("Your message could not be delivered to the recipients below. "
                 "Please check the addresses; the details are in the attached report.")
    lines = [intro, ""]
    lines += [f"    {r.address}" for r in recipients]
    return "\r\n".join(lines)
