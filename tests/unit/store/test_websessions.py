"""Web sessions: tokens are random and stored hashed, expire, and end with the account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from postroom.app import Services
from postroom.store import schema as s
from postroom.store.websessions import WebSessions, token_digest
from tests.factories import make_account, make_org


async def test_sessions_are_stored_hashed_and_found_by_token(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    sessions = WebSessions(services.db)
    token, session = await sessions.create(account.id)
    async with services.db.read() as conn:
        stored = (await conn.execute(select(s.web_session.c.id))).scalars().all()
    assert stored == [token_digest(token)] and token not in stored
    found = await sessions.find(token)
    assert found is not None and found.account_id == account.id
    assert found.csrf_token == session.csrf_token and len(found.csrf_token) >= 40
    assert await sessions.find("not-a-token") is None
    assert await sessions.find(None) is None


async def test_idle_and_expired_sessions_are_gone(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    idle = WebSessions(services.db, idle=timedelta(0))
    token, _ = await idle.create(account.id)
    assert await idle.find(token) is None
    short = WebSessions(services.db, lifetime=timedelta(seconds=-1))
    token, _ = await short.create(account.id)
    assert await short.find(token) is None
    keep = WebSessions(services.db)
    token, _ = await keep.create(account.id)
    assert await keep.purge_expired(datetime.now(UTC) + timedelta(days=8)) == 1


async def test_sessions_end_with_the_account(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    sessions = WebSessions(services.db)
    one, _ = await sessions.create(account.id)
    two, second = await sessions.create(account.id)
    assert await sessions.delete_for_account(account.id, keep=second.id) == 1
    assert await sessions.find(one) is None and await sessions.find(two) is not None
    await services.tenancy.accounts.delete(account.address)
    assert await sessions.find(two) is None
