"""THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


def msg(mid: str, subject: str, day: int, refs: str = "", reply_to: str = "") -> bytes:
    lines = [f"Message-ID: <{mid}@x>", f"Subject: {subject}", "From: a@example.org",
             f"Date: {day:02d} Nov 2026 10:00:00 +0000"]
    if refs:
        lines.append("References: " + " ".join(f"<{r}@x>" for r in refs.split()))
    if reply_to:
        lines.append(f"In-Reply-To: <{reply_to}@x>")
    return ("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode()


@pytest.fixture
async def threads(logged_in: Transcript, services: Services, ann: int) -> Transcript:
    raws = [
        msg("a", "Plan", 1),                      # 1
        msg("b", "Re: Plan", 2, refs="a"),        # 2
        msg("c", "Lunch", 3),                     # 3
        msg("d", "Re: Plan", 4, refs="a b"),      # 4
        msg("e", "Re: Plan", 5, reply_to="a"),    # 5
        msg("f", "Re: Lunch", 6, refs="zz"),      # 6 (parent missing: joined by subject)
        msg("g", "Other", 7),                     # 7
    ]
    for raw in raws:
        await services.mail.append(ann, "INBOX", raw, (), datetime(2026, 11, 9, tzinfo=UTC))
    await logged_in.select()
    return logged_in


async def test_orderedsubject(threads: Transcript) -> None:
    reply = await threads.send("a THREAD ORDEREDSUBJECT UTF-8 ALL")
    assert reply == "* THREAD (1 (2)(4)(5))(3 6)(7)\r\na OK THREAD completed\r\n"


async def test_references(threads: Transcript) -> None:
    reply = await threads.send("a THREAD REFERENCES UTF-8 ALL")
    assert reply == "* THREAD (1 (2 4)(5))(3 6)(7)\r\na OK THREAD completed\r\n"


async def test_uid_thread_with_search(threads: Transcript) -> None:
    reply = await threads.send("a UID THREAD REFERENCES UTF-8 SUBJECT plan")
    assert reply == "* THREAD (1 (2 4)(5))\r\na OK THREAD completed\r\n"


async def test_unknown_algorithm(threads: Transcript) -> None:
    assert (await threads.send("a THREAD X UTF-8 ALL")).startswith("a BAD")
