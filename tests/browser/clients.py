"""Real mail clients for browser tests: stdlib smtplib and imaplib against the node.

The browser fixture's node listens on loopback, where the test settings allow plaintext
authentication, so these clients log in without TLS. Each call runs in a worker thread
because the server shares the test's event loop.
"""

from __future__ import annotations

import asyncio
import imaplib
import re
import smtplib

from tests.browser.conftest import Browser
from tests.factories import PASSWORD


def crlf(message: bytes) -> bytes:
    """smtplib sends bytes as they are; the server refuses bare LF (RFC 5321 2.3.8)."""
    return re.sub(rb"\r?\n", b"\r\n", message)


async def send_by_mx(env: Browser, mail_from: str, to: list[str], message: bytes) -> None:
    """Hand ``message`` to the MX listener, as another mail server would."""

    def run() -> None:
        with smtplib.SMTP("127.0.0.1", env.ports["smtp"], timeout=30) as smtp:
            smtp.ehlo("mx.remote.test")
            smtp.sendmail(mail_from, to, crlf(message))

    await asyncio.to_thread(run)


async def send_as(env: Browser, user: str, to: list[str], message: bytes) -> None:
    """Submit ``message`` on the submission port, logged in as ``user``."""

    def run() -> None:
        with smtplib.SMTP("127.0.0.1", env.ports["submission"], timeout=30) as smtp:
            smtp.login(user, PASSWORD)
            smtp.sendmail(user, to, crlf(message))

    await asyncio.to_thread(run)


async def imap_messages(env: Browser, user: str, folder: str = "INBOX") -> list[bytes]:
    """Every message of ``folder`` as IMAP serves it (BODY.PEEK[]), in UID order."""

    def run() -> list[bytes]:
        with imaplib.IMAP4("127.0.0.1", env.ports["imap"], timeout=30) as imap:
            imap.login(user, PASSWORD)
            imap.select(folder, readonly=True)
            _, data = imap.uid("SEARCH", "ALL")
            out = []
            for uid in data[0].split():
                _, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                out.append(next(p[1] for p in parts if isinstance(p, tuple)))
            return out

    return await asyncio.to_thread(run)
