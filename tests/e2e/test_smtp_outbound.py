"""Outbound: the queue delivers to a second SMTP server on 127.0.0.1 (aiosmtpd) through the
injected resolver, DKIM-signed; 4xx then 2xx arrives exactly once; a 5xx gives exactly
one DSN in the sender's INBOX; a restart loses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import dkim
import pytest

from postroom.app import Services
from postroom.delivery import build_delivery
from postroom.delivery.dns import StaticResolver
from postroom.store.queue import RecipientStatus
from tests.e2e.smtp_peer import Peer, publish_dkim, remote_dns
from tests.factories import make_message
from tests.protocol.smtp.transcript import SmtpWorld, make_world


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    with Peer() as p:
        yield p


@pytest.fixture
async def outbound(services: Services, peer: Peer) -> AsyncIterator[SmtpWorld]:
    world = await make_world(services)
    resolver = StaticResolver()
    remote_dns(resolver)
    domain = await services.tenancy.organisations.find_domain("example.org")
    assert domain is not None
    publish_dkim(resolver, domain)
    world.resolver = resolver
    world.delivery = build_delivery(services.settings, services.tenancy, services.mail,
                                    resolver=resolver, outbound_port=peer.port)
    yield world
    await world.delivery.close()


def letter(to: str = "friend@remote.test") -> bytes:
    return make_message(sender="Ann <ann@example.org>", to=to, subject="Outbound")


async def test_delivered_with_a_dkim_signature_that_verifies(outbound: SmtpWorld,
                                                             peer: Peer) -> None:
    result = await outbound.delivery.submitter.submit(
        outbound.ann, "ann@example.org", ["friend@remote.test"], letter())
    assert result.queued == ("friend@remote.test",)
    assert await outbound.delivery.worker.run_once() == 1
    assert len(peer.messages) == 1
    got = peer.messages[0]
    assert got.mail_from == "ann@example.org" and got.recipients == ["friend@remote.test"]
    assert got.data.startswith(b"DKIM-Signature:")

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        values = outbound.resolver.records.get(name.decode().rstrip("."), {}).get("TXT")
        return values[0].encode() if values else None

    assert dkim.verify(got.data, dnsfunc=txt)
    queued = await outbound.delivery.queue.list_messages()
    assert queued == []  # finished messages leave the queue


async def test_temporary_failure_then_success_arrives_once(outbound: SmtpWorld,
                                                           peer: Peer) -> None:
    peer.handler.data_replies = ["451 4.3.0 Try again later"]
    await outbound.delivery.submitter.submit(outbound.ann, "ann@example.org",
                                             ["friend@remote.test"], letter())
    worker = outbound.delivery.worker
    await worker.run_once()
    assert peer.messages == []
    [message] = await outbound.delivery.queue.list_messages()
    [rcpt] = message.recipients
    assert rcpt.status is RecipientStatus.QUEUED and rcpt.attempts == 1
    assert rcpt.next_attempt_at - rcpt.last_attempt_at >= timedelta(minutes=4)  # type: ignore[operator]
    assert await worker.run_once() == 0  # not due yet
    await outbound.delivery.queue.retry_now(message.queue_id)
    await worker.run_once()
    await worker.run_once()
    assert len(peer.messages) == 1
    assert await outbound.delivery.queue.list_messages() == []
    assert await outbound.inbox(outbound.ann) == []  # no DSN for a success


async def test_permanent_failure_gives_exactly_one_dsn(outbound: SmtpWorld, peer: Peer) -> None:
    peer.handler.rcpt_reply = lambda a: "550 5.1.1 No such user" if a.startswith("gone") else None
    await outbound.delivery.submitter.submit(
        outbound.ann, "ann@example.org", ["gone@remote.test", "friend@remote.test"], letter())
    for _ in range(3):
        await outbound.delivery.worker.run_once()
    assert [m.recipients for m in peer.messages] == [["friend@remote.test"]]
    inbox = await outbound.inbox(outbound.ann)
    assert len(inbox) == 1
    dsn = inbox[0]
    assert b"multipart/report; report-type=delivery-status" in dsn
    assert b"Final-Recipient: rfc822; gone@remote.test" in dsn
    assert b"Action: failed" in dsn and b"Status: 5.1.1" in dsn
    assert b"friend@remote.test" not in dsn.split(b"message/delivery-status")[1].split(
        b"text/rfc822-headers")[0]
    assert await outbound.delivery.queue.list_messages() == []


async def test_null_mx_and_missing_domain_fail_at_once(outbound: SmtpWorld) -> None:
    outbound.resolver.add("nullmx.test", "MX", "0 .")
    await outbound.delivery.submitter.submit(
        outbound.ann, "ann@example.org", ["a@nullmx.test", "b@nowhere.test"], letter())
    await outbound.delivery.worker.run_once()
    dsn = (await outbound.inbox(outbound.ann))[0]
    assert b"Status: 5.1.10" in dsn and b"Status: 5.1.2" in dsn


async def test_implicit_mx_falls_back_to_the_address(outbound: SmtpWorld, peer: Peer) -> None:
    outbound.resolver.add("plain.test", "A", "127.0.0.1")
    outbound.resolver.add("plain.test", "TXT", "v=spf1 -all")
    await outbound.delivery.submitter.submit(outbound.ann, "ann@example.org",
                                             ["x@plain.test"], letter("x@plain.test"))
    await outbound.delivery.worker.run_once()
    assert [m.recipients for m in peer.messages] == [["x@plain.test"]]


async def test_restart_loses_nothing(outbound: SmtpWorld, peer: Peer,
                                     services: Services) -> None:
    await outbound.delivery.submitter.submit(outbound.ann, "ann@example.org",
                                             ["friend@remote.test"], letter())
    # A worker claims the recipient, then "crashes" before sending anything.
    claimed = await outbound.delivery.queue.claim_due(lease=timedelta(seconds=0))
    assert len(claimed) == 1
    # A new node (new delivery services on the same store) picks the expired claim up.
    fresh = build_delivery(services.settings, services.tenancy, services.mail,
                           resolver=outbound.resolver, outbound_port=peer.port)
    assert await fresh.worker.run_once() == 1
    assert len(peer.messages) == 1
    await fresh.close()


async def test_delay_notice_once(outbound: SmtpWorld) -> None:
    outbound.resolver.add("slow.test", "MX", "10 mx.slow.test")  # no address: 4xx
    worker = outbound.delivery.worker
    worker.delay_notice = timedelta(seconds=0)
    await outbound.delivery.submitter.submit(outbound.ann, "ann@example.org",
                                             ["x@slow.test"], letter("x@slow.test"))
    await worker.run_once()
    await worker.run_once()
    inbox = await outbound.inbox(outbound.ann)
    assert len(inbox) == 1 and b"Action: delayed" in inbox[0]


async def test_expired_message_fails_with_4_4_7(outbound: SmtpWorld) -> None:
    outbound.resolver.add("slow.test", "MX", "10 mx.slow.test")
    outbound.delivery.submitter.queue_lifetime = timedelta(seconds=0)
    await outbound.delivery.submitter.submit(outbound.ann, "ann@example.org",
                                             ["x@slow.test"], letter("x@slow.test"))
    await outbound.delivery.worker.run_once()
    dsn = (await outbound.inbox(outbound.ann))[0]
    assert b"Action: failed" in dsn and b"Status: 4.4.7" in dsn
