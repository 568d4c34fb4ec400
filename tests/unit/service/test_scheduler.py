"""Housekeeping: old web sessions, login throttles and vacation replies are purged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from postroom.app import Services
from postroom.errors import AuthenticationFailed
from postroom.service.scheduler import Scheduler
from postroom.store import schema as s
from postroom.store.userdata import UserData
from postroom.store.websessions import WebSessions
from tests.factories import make_account, make_org


async def count(services: Services, table: object) -> int:
    async with services.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_run_once_purges_only_what_is_old(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services, "ann@example.org")
    sessions, userdata = WebSessions(services.db), UserData(services.db)
    await sessions.create(ann.id)
    await sessions.create(ann.id)
    for _ in range(2):
        try:
            await services.tenancy.auth.login("ann@example.org", "wrong", ip="192.0.2.1")
        except AuthenticationFailed:
            pass
    await userdata.record_vacation_reply(ann.id, "old@remote.test",
                                         now=datetime.now(UTC) - timedelta(days=8))
    await userdata.record_vacation_reply(ann.id, "new@remote.test")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    async with services.db.write() as conn:
        first = (await conn.execute(select(s.web_session.c.id).limit(1))).scalar_one()
        await conn.execute(update(s.web_session).where(s.web_session.c.id == first)
                           .values(expires_at=long_ago, last_seen=long_ago))
        await conn.execute(update(s.login_throttle).values(last_failure=long_ago))
    throttles = await count(services, s.login_throttle)
    assert throttles >= 1

    removed = await Scheduler(services.db, services.tenancy).run_once()

    assert removed == {"web_sessions": 1, "login_throttles": throttles, "vacation_replies": 1}
    assert await count(services, s.web_session) == 1
    assert await count(services, s.login_throttle) == 0
    assert await count(services, s.vacation_reply) == 1


async def test_run_stops_when_asked(services: Services) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler(services.db, services.tenancy, first_after=0).run(stop))
    await asyncio.sleep(0.2)  # it ran once and now waits an hour
    stop.set()
    await asyncio.wait_for(task, 5)
