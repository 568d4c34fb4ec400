"""The delivery log: structured entries in batches, a retention class, the purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from postroom.app import Services
from postroom.delivery.log import DeliveryLog
from postroom.store import deliverylog


async def test_entries_are_batched_and_kept_with_a_retention_class(services: Services) -> None:
    log = DeliveryLog(services.db, retention_days=30, flush_interval=60)
    log.record("attempt", "Q1", recipient="x@remote.test", code=250)
    log.record("attempt", "Q1", recipient="y@remote.test", code=451)
    assert await deliverylog.for_queue_id(services.db, "Q1") == []  # not yet flushed
    await log.close()
    rows = await deliverylog.for_queue_id(services.db, "Q1")
    assert [json.loads(r.entry)["recipient"] for r in rows] == ["x@remote.test",
                                                                 "y@remote.test"]
    assert {r.retention_class for r in rows} == {"delivery"}
    assert rows[0].expires_at - rows[0].at == timedelta(days=30)


async def test_purge_removes_what_expired(services: Services) -> None:
    now = datetime.now(UTC)
    await deliverylog.append(services.db, [
        deliverylog.LogRow(now, "smtp", "delivery", now - timedelta(seconds=1), "old", "{}"),
        deliverylog.LogRow(now, "smtp", "delivery", now + timedelta(days=1), "new", "{}")])
    assert await deliverylog.purge(services.db, now) == 1
    assert [r.queue_id for r in await deliverylog.recent(services.db)] == ["new"]


async def test_smtp_transactions_are_logged_without_subjects(services: Services) -> None:
    from tests.factories import make_message
    from tests.protocol.smtp.transcript import make_world

    world = await make_world(services)
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n")
    await t.send(make_message(subject="Very secret subject") + b".\r\n")
    await world.delivery.log.close()
    rows = await deliverylog.recent(services.db)
    entry = json.loads(rows[0].entry)
    assert entry["event"] == "inbound" and entry["recipients"] == ["ann@example.org"]
    assert all("secret" not in r.entry for r in rows)
