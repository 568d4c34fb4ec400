"""Submission cleanup: what a message gets before it leaves (RFC 6409 8).

- Line endings: every bare CR or bare LF becomes CRLF (RFC 5322 2.3), so what is signed
  is what is sent.
- ``Date`` (RFC 6409 8.2) and ``Message-ID`` (RFC 6409 8.3) are added when missing,
  and ``From`` (the envelope sender, RFC 6409 8) when missing.
- ``From`` addresses are returned for the send-as check; ``Bcc`` is left to the client
  (RFC 6409 does not ask a server to remove it).
- DKIM (RFC 6376): signed with the key of the From: domain when that domain is hosted,
  relaxed/relaxed canonicalisation, rsa-sha256. dkimpy's RSA is pure Python, so the
  signature is made in a worker thread.

Invariant: the body is never changed except for line endings.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import dkim

from postroom.delivery.ids import new_message_id

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
SIGNED_HEADERS = (b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to",
                  b"in-reply-to", b"references", b"mime-version", b"content-type",
                  b"content-transfer-encoding")


@dataclass(frozen=True)
class Cleaned:
    message: bytes
    message_id: str
    from_addresses: tuple[str, ...]


def normalise_line_endings(message: bytes) -> bytes:
    if b"\r" not in message and b"\n" not in message:
        return message
    fixed = _LINE_ENDINGS.sub(b"\r\n", message)
    return fixed


def split_message(message: bytes) -> tuple[bytes, bytes]:
    """(header section with its final CRLF, body) — the body may be empty."""
    if message.startswith(b"\r\n"):
        return b"", message[2:]
    head, sep, body = message.partition(b"\r\n\r\n")
    if not sep:
        return (head + b"\r\n" if head and not head.endswith(b"\r\n") else head), b""
    return head + b"\r\n", body


def header_values(head: bytes, name: str) -> list[str]:
    """Unfolded values of every field called ``name`` (case-insensitive)."""
    text = head.decode("utf-8", "replace")
    unfolded = re.sub(r"\r\n[ \t]", " ", text)
    prefix = name.lower() + ":"
    return [line[len(prefix):].strip() for line in unfolded.split("\r\n")
            if line.lower().startswith(prefix)]


def cleanup(message: bytes, *, mail_from: str, hostname: str,
            display_name: str = "", now: datetime | None = None) -> Cleaned:
    """Normalise and complete the header (RFC 6409 8); nothing is signed here."""
    message = normalise_line_endings(message)
    head, body = split_message(message)
    added: list[bytes] = []
    froms = header_values(head, "from")
    if not froms and mail_from:
        shown = email.utils.formataddr((display_name, mail_from)) if display_name else mail_from
        added.append(f"From: {shown}\r\n".encode())
        froms = [mail_from]
    if not header_values(head, "date"):
        added.append(f"Date: {email.utils.format_datetime(now or datetime.now(UTC))}\r\n"
                     .encode())
    ids = header_values(head, "message-id")
    if ids:
        message_id = ids[0]
    else:
        domain = mail_from.rpartition("@")[2] or hostname
        message_id = new_message_id(domain)
        added.append(f"Message-ID: {message_id}\r\n".encode())
    addresses = tuple(a.lower() for _, a in email.utils.getaddresses(froms) if a)
    return Cleaned(head + b"".join(added) + b"\r\n" + body, message_id, addresses)


def sign_sync(message: bytes, *, domain: str, selector: str, private_key_pem: str) -> bytes:
    """The message with a ``DKIM-Signature`` field on top (RFC 6376 3.5)."""
    signature = dkim.sign(
        message, selector.encode("ascii"), domain.encode("ascii"),
        private_key_pem.encode("ascii"), canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if _has_field(message, h)] or [b"from"])
    return bytes(signature) + message


async def sign(message: bytes, *, domain: str, selector: str, private_key_pem: str) -> bytes:
    return await asyncio.to_thread(sign_sync, message, domain=domain, selector=selector,
                                   private_key_pem=private_key_pem)


def _has_field(message: bytes, name: bytes) -> bool:
    head, _ = split_message(message)
    return re.search(rb"(?im)^" + re.escape(name) + rb":", head) is not None
