"""Fixtures for IMAP transcripts: a store with Ann's account and sessions on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from postroom.app import Services
from postroom.protocols.common.listener import ConnectionLimiter
from tests.factories import make_account, make_message, make_org
from tests.protocol.imap.transcript import Transcript, imap_env

Open = Callable[..., Transcript]


@pytest.fixture
async def ann(services: Services) -> int:
    await make_org(services)
    return (await make_account(services)).id


@pytest.fixture
async def inbox(services: Services, ann: int) -> list[bytes]:
    """Three messages in Ann's INBOX (UIDs 1, 2, 3); the second is \\Seen."""
    raws = [make_message(f"Message {i}", body=f"Body {i}.\n",
                         date=datetime(2026, 11, i, 12, 0, tzinfo=UTC)) for i in (1, 2, 3)]
    for i, raw in enumerate(raws, 1):
        flags = ["\\Seen"] if i == 2 else []
        await services.mail.append(ann, "INBOX", raw, flags,
                                   datetime(2026, 11, i, 13, 0, tzinfo=UTC))
    return raws


@pytest.fixture
async def imap(services: Services) -> AsyncIterator[Open]:
    """Open transcripts; every one is closed at the end of the test."""
    opened: list[Transcript] = []
    limiter = ConnectionLimiter(10)

    def open_(**kwargs: object) -> Transcript:
        env_overrides = kwargs.pop("env", {})
        env = imap_env(services, limiter, **env_overrides)  # type: ignore[arg-type]
        t = Transcript(env, **kwargs)  # type: ignore[arg-type]
        opened.append(t)
        return t

    yield open_
    for t in opened:
        await t.close()


@pytest.fixture
async def logged_in(imap: Open, ann: int) -> Transcript:
    t = imap()
    await t.login()
    return t


@pytest.fixture
async def selected(logged_in: Transcript, inbox: list[bytes]) -> Transcript:
    await logged_in.select()
    return logged_in
