"""Structured delivery log: one line per SMTP transaction and per delivery attempt.

Each entry is a flat JSON object (``event``, addresses, codes, sizes, queue id, timing)
written to the ``postroom.delivery`` logger at once and to the ``delivery_log`` table in
batches at most once a ``flush_interval`` (one write transaction a second under load, so
the log never competes with deliveries for SQLite's single writer), with the retention
class ``delivery`` and an expiry ``delivery_log_days`` ahead (never more than 12 months,
DESIGN section 8).

Invariants: no body, no subject and no header value other than the envelope ever goes
into an entry; a failed database write loses log rows, never mail (the logger line is
already out).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from postroom.errors import PostroomError
from postroom.store import deliverylog
from postroom.store.db import Database

RETENTION_CLASS = "delivery"
log = logging.getLogger("postroom.delivery")


class DeliveryLog:
    def __init__(self, db: Database, retention_days: int = 90,
                 flush_interval: float = 1.0) -> None:
        self.db = db
        self.retention = timedelta(days=retention_days)
        self.flush_interval = flush_interval
        self._pending: list[deliverylog.LogRow] = []
        self._flusher: asyncio.Task[None] | None = None

    def record(self, event: str, queue_id: str | None = None, **fields: Any) -> None:
        """Log one entry now; it reaches the database with the next batch."""
        now = datetime.now(UTC)
        entry = {"event": event, "queue_id": queue_id, **fields}
        text = json.dumps(entry, default=str, separators=(",", ":"), sort_keys=False)
        log.info("%s", text)
        self._pending.append(deliverylog.LogRow(now, event[:20], RETENTION_CLASS,
                                                now + self.retention, queue_id, text))
        if self._flusher is None or self._flusher.done():
            try:
                self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())
            except RuntimeError:  # no loop (a synchronous caller): flushed on the next call
                pass

    async def _flush_loop(self) -> None:
        while self._pending:
            await asyncio.sleep(self.flush_interval)
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            await deliverylog.append(self.db, batch)
        except PostroomError:
            log.warning("delivery log: %d rows not stored (database unavailable)", len(batch))

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()

    async def purge(self) -> int:
        return await deliverylog.purge(self.db, datetime.now(UTC))
