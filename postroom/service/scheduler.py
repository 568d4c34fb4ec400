"""The node's scheduler: periodic housekeeping in the server's event loop.

Jobs (each runs every ``interval``, the first time shortly after start; a job that
fails is logged and tried again next time, it never stops the others):

- ``web_sessions``: delete web mail sessions past their lifetime or idle timeout
  (``store.websessions``), so a stolen old cookie finds nothing and the table stays small;
- ``login_throttles``: forget failed-login counters the throttle policy no longer uses
  (``tenancy.auth``);
- ``vacation_replies``: forget vacation replies older than the 7-day interval
  (``store.userdata``), which no longer hold a sender back (RFC 3834 4.1).

The delivery log and the send counters are purged by the queue worker
(``delivery.outbound``), which owns them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from postroom.store.db import Database
from postroom.store.userdata import VACATION_INTERVAL, UserData
from postroom.store.websessions import WebSessions
from postroom.tenancy import Tenancy

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[int]]


class Scheduler:
    """Runs the housekeeping jobs until ``stop`` is set."""

    def __init__(self, db: Database, tenancy: Tenancy, *,
                 interval: timedelta = timedelta(hours=1), first_after: float = 60.0) -> None:
        self.interval = interval
        self.first_after = first_after
        sessions, userdata = WebSessions(db), UserData(db)
        self.jobs: dict[str, Job] = {
            "web_sessions": sessions.purge_expired,
            "login_throttles": tenancy.auth.purge_throttles,
            "vacation_replies": lambda: userdata.purge_vacation_replies(
                datetime.now(UTC) - VACATION_INTERVAL),
        }

    async def run_once(self) -> dict[str, int]:
        """Run every job once; returns how many rows each removed (-1: it failed)."""
        done: dict[str, int] = {}
        for name, job in self.jobs.items():
            try:
                done[name] = await job()
            except Exception:
                log.exception("housekeeping job %s failed", name)
                done[name] = -1
        return done

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.first_after
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
                return
            removed = await self.run_once()
            log.info("housekeeping: %s", ", ".join(f"{k} {v}" for k, v in removed.items()))
            delay = self.interval.total_seconds()
