"""Web mail timings on a 100,000-message folder: the message list and opening a message.

    python bench/webmail_list.py [--messages 100000] [--requests 200] [--data-dir DIR]

Builds a fresh store (SQLite in a temporary directory, or POSTROOM_DATABASE_URL),
fills one INBOX by doubling copies of a few real messages (MailStore.copy), then times
requests through the ASGI app (httpx, no network): the first page of the list, a deep
page, the list sorted by sender, a search, and opening a message. Prints p50/p95 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from postroom.app import open_services
from postroom.config import Settings
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
    app = create_app(services.tenancy, services.mail, "bench-secret-key" * 3, dev=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        page = await client.get("/mail/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token
        await client.post("/mail/login", data={"address": "ann@example.org",
                                                "password": PASSWORD,
                                                "login_token": token.group(1)})
        for label, url in (
            ("list, first page", f"/mail/f/{folder}"),
            ("list, page 1000", f"/mail/f/{folder}?page=1000"),
            ("list rows fragment (live refresh)", f"/mail/f/{folder}/rows"),
            ("list sorted by sender", f"/mail/f/{folder}?sort=from"),
            ("search 'report 77' in the folder", f"/mail/search?q=report+77&in={folder}"),
            ("open a message", f"/mail/m/{folder}/{total // 2}"),
        ):
            n = requests if "sorted" not in label and "search" not in label else requests // 10
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
