"""Crash safety of SMTP delivery: SIGKILL ``postroom serve`` at random moments while
clients send (24 kills); every message that got ``250`` is in its mailbox exactly once
after restart, and no message is there twice (DESIGN section 5).

Three clients pipeline transactions to the MX port on one connection each, every
message carrying a unique token in its Subject; a token counts as acknowledged only
when its ``250`` was read. The kill lands 0.2-1.5 s after the server greets (every
sixth right after start). ``POSTROOM_CRASH_SEED`` replays a run.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
from collections import Counter
from pathlib import Path

import pytest

from postroom.app import open_services
from postroom.store.verify import verify
from tests.e2e.smtp_process import ServerProcess, populate

pytestmark = pytest.mark.slow

KILLS = 24
CLIENTS = 3


async def _client(port: int, acked: list[str], stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        await reader.readline()
        writer.write(b"EHLO crash.test\r\n")
        while (await reader.readline())[3:4] == b"-":
            pass
        while not stop.is_set():
            token = secrets.token_hex(8)
            body = (f"From: x@remote.test\r\nTo: ann@example.org\r\nSubject: crash-{token}\r\n"
                    f"\r\n{'line of text ' * random.randint(1, 400)}\r\n").encode()
            writer.write(b"MAIL FROM:<x@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n")
            codes = [(await reader.readline())[:3] for _ in range(3)]
            if codes != [b"250", b"250", b"354"]:
                return
            writer.write(body + b".\r\n")
            reply = await reader.readline()
            if reply.startswith(b"250"):
                acked.append(token)
            elif not reply:
                return
    except (OSError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def _round(server: ServerProcess, acked: list[str], delay: float) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_client(server.smtp, acked, stop)) for _ in range(CLIENTS)]
    await asyncio.sleep(delay)
    server.kill()  # SIGKILL while the clients are mid-transaction
    stop.set()
    await asyncio.wait(tasks, timeout=10)


async def _tokens(server: ServerProcess) -> Counter[str]:
    services = await open_services(server.settings())
    try:
        account = await services.tenancy.accounts.get("ann@example.org")
        folder = await services.mail.get_folder(account.id, "INBOX")
        found: Counter[str] = Counter()
        for row in await services.mail.messages(account.id, folder.id):
            raw = await services.mail.read_message(row)
            match = re.search(rb"Subject: crash-([0-9a-f]{16})", raw)
            assert match is not None, raw[:300]
            found[match.group(1).decode()] += 1
        problems = [p for p in await verify(services.db, services.blobs) if not p.leftover]
        assert problems == []
        return found
    finally:
        await services.close()


async def test_sigkill_never_loses_an_acknowledged_message(tmp_path: Path) -> None:
    seed = int(os.environ.get("POSTROOM_CRASH_SEED", secrets.randbelow(10**9)))
    rng = random.Random(seed)
    server = ServerProcess(tmp_path / "data")
    await populate(server)
    acked: list[str] = []
    try:
        for kill in range(KILLS):
            await asyncio.to_thread(server.start)
            delay = 0.0 if kill % 6 == 5 else rng.uniform(0.2, 1.5)
            await _round(server, acked, delay)
    finally:
        server.close()
    found = await _tokens(server)
    assert acked, f"no message was acknowledged (seed {seed})"
    missing = [t for t in acked if found[t] != 1]
    assert missing == [], f"seed {seed}: acknowledged but not stored once: {missing[:5]}"
    assert max(found.values()) == 1, f"seed {seed}: a message was stored twice"
    assert len(found) - len(set(acked)) <= KILLS * CLIENTS  # at most the ones in flight
