"""Web mail timings on a 100,000-message folder: the message list and opening a message,
one message at a time and as conversations.

    python bench/webmail_list.py [--messages 100000] [--requests 200] [--data-dir DIR]

Builds a fresh store (SQLite in a temporary directory, or POSTROOM_DATABASE_URL),
fills one INBOX by doubling copies of a few real messages (MailStore.copy), then times
requests through the ASGI app (httpx, no network): the first page of the list, a deep
page, the list sorted by sender, a search, and opening a message. Prints p50/p95 in ms.

Conversations: a second account's INBOX gets as many messages in conversations
shaped like a real mailbox's (35 % start a conversation, the others answer one of the
300 most recent, so ~35,000 conversations of 1 to a few dozen messages), stored with
the statements of ``MailStore.deliver`` (blob row, conversation look-up, UID, message
row) but 2,000 to a transaction and without blob files, which lists never read; then a
four-message conversation arrives through ``MailStore.deliver`` to be opened. The flat
figures are taken with conversations off, the conversation figures with them on; the
INBOX conversation figure is the worst case (8 conversations of 12,500 copies each, so
the first page walks the whole folder).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from postroom.app import open_services
from postroom.config import Settings
from postroom.mail.summary import MimeLimits
from postroom.store import conversations, folders, messages
from postroom.store.parsing import blob_fields
from postroom.store.records import Target
from postroom.store.userdata import SettingName, UserData
from postroom.web.app import create_app

PASSWORD = "bench password 1"


def _message(i: int) -> bytes:
    return (f"From: Sender {i} <s{i}@example.net>\r\nTo: ann@example.org\r\n"
            f"Subject: Report number {i}\r\nDate: Mon, 2 Nov 2026 10:{i % 60:02d}:00 +0000\r\n"
            f"Message-ID: <{i}@bench>\r\n\r\nBody of report {i}, about apples.\r\n").encode()


async def fill(services: object, account_id: int, total: int) -> int:
    mail = services.mail  # type: ignore[attr-defined]
    for i in range(8):
        await mail.append(account_id, "INBOX", _message(i))
    inbox = await mail.get_folder(account_id, "INBOX")
    count = 8
    while count < total:
        uids = [r.uid for r in await mail.messages(account_id, inbox.id)][: total - count]
        await mail.copy(account_id, inbox.id, uids, "INBOX")
        count += len(uids)
    return int(inbox.id)


def _thread_message(i: int, topic: int, parent: str | None, minute: datetime) -> bytes:
    reply = f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n" if parent else ""
    return (f"From: Person {i % 97} <p{i % 97}@example.net>\r\nTo: ann@example.org\r\n"
            f"Subject: {'Re: ' if parent else ''}Topic {topic}\r\n"
            f"Date: {minute.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <t{i}@bench>\r\n{reply}\r\n"
            f"Message {i} about topic {topic}.\r\n").encode()


async def fill_threads(services: object, account_id: int, total: int) -> int:
    """Fill the account's INBOX with conversations (module docstring); returns its id."""
    mail = services.mail  # type: ignore[attr-defined]
    db = services.db  # type: ignore[attr-defined]
    rng = random.Random(7)
    recent: list[tuple[int, str]] = []  # (topic, newest Message-ID) per conversation
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for first in range(0, total, 2000):
        async with db.write() as conn:
            folder = await folders.get(conn, account_id, "INBOX")
            for i in range(first, min(total, first + 2000)):
                index = None
                if recent and rng.random() >= 0.35:
                    index = rng.randrange(max(0, len(recent) - 300), len(recent))
                topic, parent = recent[index] if index is not None else (i, None)
                when = start + timedelta(minutes=i)
                raw = _thread_message(i, topic, parent, when)
                fields = blob_fields(raw, hashlib.sha256(raw).hexdigest(), MimeLimits())
                blob_id = await messages.reference_blob(conn, fields, 1)
                conv = await conversations.assign(conn, account_id, blob_id, fields.thread)
                flags = ("\\Seen",) if rng.random() < 0.9 else ()
                await messages.insert_message(conn, folder, blob_id, len(raw), flags, when, conv)
                if index is None:
                    recent.append((topic, f"<t{i}@bench>"))
                else:
                    recent[index] = (topic, f"<t{i}@bench>")
    parent = None
    for n in range(4):  # the conversation the bench opens: real deliveries, with files
        mid = f"<open{n}@bench>"
        head = f"In-Reply-To: {parent}\r\n" if parent else ""
        raw = (f"From: Cy <cy@example.net>\r\nTo: ann@example.org\r\nSubject: "
               f"{'Re: ' if parent else ''}Open me\r\nMessage-ID: {mid}\r\n{head}\r\n"
               f"Part {n} of the conversation that is opened.\r\n").encode()
        await mail.deliver(raw, [Target(account_id)],
                           internal_date=start + timedelta(minutes=total + n))
        parent = mid
    return int((await mail.get_folder(account_id, "INBOX")).id)


async def timed(client: httpx.AsyncClient, url: str, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


async def main(total: int, requests: int, data_dir: str | None) -> None:
    data = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="postroom-bench-"))
    reuse = (data / "postroom.db").exists()
    settings = Settings(data_dir=data, database_url=os.environ.get("POSTROOM_DATABASE_URL"),
                        argon2_time_cost=1, argon2_memory_kib=8)
    services = await open_services(settings)
    if reuse:  # a store filled by an earlier run with --data-dir
        account = await services.tenancy.accounts.get("ann@example.org")
        folder = (await services.mail.get_folder(account.id, "INBOX")).id
        bob = await services.tenancy.accounts.get("bob@example.org")
        threads = (await services.mail.get_folder(bob.id, "INBOX")).id
        total = (await services.mail.folder_status(account.id, "INBOX")).messages
        print(f"reusing {total} messages in {data}")
    else:
        org = "Bench"
        await services.tenancy.organisations.create(org, storage=20 * 1024**3)
        await services.tenancy.organisations.add_domain(org, "example.org")
        account = await services.tenancy.accounts.add("ann@example.org", PASSWORD,
                                                      quota=10 * 1024**3)
        started = time.perf_counter()
        folder = await fill(services, account.id, total)
        print(f"filled {total} messages in {time.perf_counter() - started:.0f} s "
              f"({services.db.dialect}) in {data}")
        bob = await services.tenancy.accounts.add("bob@example.org", PASSWORD,
                                                  quota=10 * 1024**3)
        started = time.perf_counter()
        threads = await fill_threads(services, bob.id, total)
        print(f"filled {total} messages in conversations in "
              f"{time.perf_counter() - started:.0f} s")
    userdata = UserData(services.db)
    threads_info = await services.mail.get_folder(bob.id, "INBOX")
    newest = await services.mail.messages(bob.id, threads, [threads_info.uidnext - 1])
    conversation = newest[0].conversation_id
    await userdata.set_setting(account.id, SettingName.CONVERSATIONS, False)
    await userdata.set_setting(bob.id, SettingName.CONVERSATIONS, True)
    app = create_app(services.tenancy, services.mail, "bench-secret-key" * 3, dev=True)
    transport = httpx.ASGITransport(app=app)
    # Ann's INBOX as conversations: 8 conversations of 12,500 copies each (worst case).
    worst = (("conversations, INBOX (worst case)", f"/mail/f/{folder}"),)
    flat = (
        ("list, first page", f"/mail/f/{folder}"),
        ("list, page 1000", f"/mail/f/{folder}?page=1000"),
        ("list rows fragment (live refresh)", f"/mail/f/{folder}/rows"),
        ("list sorted by sender", f"/mail/f/{folder}?sort=from"),
        ("search 'report 77' in the folder", f"/mail/search?q=report+77&in={folder}"),
        ("open a message", f"/mail/m/{folder}/{total // 2}"),
    )
    threaded = (
        ("conversations, first page", f"/mail/f/{threads}"),
        ("conversations, page 100", f"/mail/f/{threads}?page=100"),
        ("conversations, last page", f"/mail/f/{threads}?page=100000"),
        ("conversations rows fragment", f"/mail/f/{threads}/rows"),
        ("conversations sorted by sender", f"/mail/f/{threads}?sort=from"),
        ("open a conversation (4 messages)", f"/mail/c/{threads}/{conversation}"),
    )
    for address, cases in (("ann@example.org", flat), ("bob@example.org", threaded),
                           ("ann@example.org", worst)):
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/mail/login")
            token = re.search(r'name="login_token" value="([^"]+)"', page.text)
            assert token
            await client.post("/mail/login", data={"address": address, "password": PASSWORD,
                                                    "login_token": token.group(1)})
            if cases is worst:
                await userdata.set_setting(account.id, SettingName.CONVERSATIONS, True)
            for label, url in cases:
                slow = any(word in label for word in ("sorted", "search", "last", "worst"))
                n = requests // 10 if slow else requests
                p50, p95 = await timed(client, url, n)
                print(f"{label:40s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({n} requests)")
    await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--data-dir", help="keep (or reuse) the filled store here")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.requests, args.data_dir))
