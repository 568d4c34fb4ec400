"""The one submission path: checks, cleanup, routing, Sent copy, retries and limits."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from postroom.delivery.errors import SenderNotOwned, SendingSuspended
from postroom.errors import Invalid, NotFound
from postroom.store import schema as s
from postroom.store.queue import RecipientStatus
from tests.factories import make_message
from tests.protocol.smtp.transcript import SmtpWorld


async def set_limits(world: SmtpWorld, *, messages: int, new_recipients: int) -> None:
    """The organisation's sending limits (no tenancy setter yet: set on the row)."""
    org = await world.services.tenancy.organisations.get("Example College")
    async with world.services.db.write() as conn:
        await conn.execute(update(s.organisation).where(s.organisation.c.id == org.id).values(
            max_messages_per_day=messages, max_new_recipients_per_day=new_recipients))


def letter(sender: str = "ann@example.org", to: str = "bob@example.org") -> bytes:
    return make_message(sender=sender, to=to)


async def test_local_delivery_and_sent_copy(world: SmtpWorld) -> None:
    submit = world.delivery.submitter.submit
    result = await submit(world.ann, "ann@example.org", ["bob@example.org"],
                          b"From: ann@example.org\nTo: bob@example.org\nSubject: s\n\nhi\n")
    assert result.delivered == ("bob@example.org",) and result.queued == ()
    [stored] = await world.inbox(world.bob)
    assert b"\r\nhi\r\n" in stored and b"\n\n" not in stored.replace(b"\r\n", b"")
    assert b"Message-ID: " + result.message_id.encode() in stored
    [sent] = await world.inbox(world.ann, "Sent")
    assert sent == stored  # one blob for both


async def test_send_as_is_enforced_on_envelope_and_header(world: SmtpWorld) -> None:
    submit = world.delivery.submitter.submit
    with pytest.raises(SenderNotOwned):
        await submit(world.ann, "bob@example.org", ["bob@example.org"], letter())
    with pytest.raises(SenderNotOwned):
        await submit(world.ann, "ann@example.org", ["bob@example.org"],
                     letter(sender="Boss <boss@example.org>"))
    result = await submit(world.ann, "team@example.org", ["bob@example.org"],
                          letter(sender="team@example.org"))
    assert result.delivered == ("bob@example.org",)


async def test_recipient_errors(world: SmtpWorld) -> None:
    submit = world.delivery.submitter.submit
    with pytest.raises(NotFound):
        await submit(world.ann, "ann@example.org", ["nobody@example.org"], letter())
    with pytest.raises(Invalid):
        await submit(world.ann, "ann@example.org", [], letter())


async def test_system_submission_needs_no_account(world: SmtpWorld) -> None:
    result = await world.delivery.submitter.submit(
        None, "", ["ann@example.org"], b"From: MAILER-DAEMON@mx\r\nSubject: n\r\n\r\nx\r\n")
    assert result.delivered == ("ann@example.org",)
    assert await world.inbox(world.ann, "Sent") == []


async def test_full_local_mailbox_is_retried_by_the_queue(world: SmtpWorld) -> None:
    tenancy = world.services.tenancy
    await tenancy.accounts.set_quota("bob@example.org", 1024 * 1024)
    await world.services.mail.append(world.bob.id, "INBOX",
                                     b"Subject: big\r\n\r\n" + b"x" * (1024 * 1024 - 50))
    result = await world.delivery.submitter.submit(world.ann, "ann@example.org",
                                                   ["bob@example.org"], letter())
    assert result.delivered == () and result.queued == ("bob@example.org",)
    await world.delivery.worker.run_once()
    [message] = await world.delivery.queue.list_messages()
    assert message.recipients[0].status is RecipientStatus.QUEUED
    assert message.recipients[0].last_status == "4.2.2"
    await tenancy.accounts.set_quota("bob@example.org", 10 * 1024 * 1024)
    await world.delivery.queue.retry_now(message.queue_id)
    await world.delivery.worker.run_once()
    assert len(await world.inbox(world.bob)) == 2
    assert await world.delivery.queue.list_messages() == []


async def test_sending_limit_holds_the_account(world: SmtpWorld) -> None:
    await set_limits(world, messages=2, new_recipients=100)
    submit = world.delivery.submitter.submit
    for i in range(2):
        result = await submit(world.ann, "ann@example.org", [f"r{i}@remote.test"], letter())
        assert not result.held
    result = await submit(world.ann, "ann@example.org", ["r9@remote.test"], letter())
    assert result.held
    queue = world.delivery.queue
    assert "more than 2 messages" in (await queue.hold_reason(world.ann.id) or "")
    statuses = [r.status for m in await queue.list_messages() for r in m.recipients]
    assert statuses == [RecipientStatus.HELD] * 3
    with pytest.raises(SendingSuspended):
        await submit(world.ann, "ann@example.org", ["r10@remote.test"], letter())
    # Local mail to colleagues is not outbound: but the account is suspended, so no.
    with pytest.raises(SendingSuspended):
        await submit(world.ann, "ann@example.org", ["bob@example.org"], letter())
    assert await world.delivery.worker.run_once() == 0  # held mail is never claimed
    assert await queue.release_account(world.ann.id) == 3
    assert await queue.hold_reason(world.ann.id) is None


async def test_new_recipient_limit(world: SmtpWorld) -> None:
    await set_limits(world, messages=1000, new_recipients=3)
    submit = world.delivery.submitter.submit
    first = await submit(world.ann, "ann@example.org", ["a@r.test", "b@r.test"], letter())
    again = await submit(world.ann, "ann@example.org", ["a@r.test", "b@r.test"], letter())
    assert not first.held and not again.held  # known recipients are not new
    assert (await submit(world.ann, "ann@example.org", ["c@r.test", "d@r.test"],
                         letter())).held
