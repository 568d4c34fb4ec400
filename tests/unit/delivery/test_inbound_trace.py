"""Trace fields at the MX: forged Authentication-Results are removed (RFC 8601 5)."""

from __future__ import annotations

from postroom.delivery.inbound import Envelope, Spool, forged_results
from tests.protocol.smtp.transcript import HOST, SmtpWorld

FORGED = (f"Authentication-Results: {HOST};\r\n dkim=pass header.d=bank.test;"
          " spf=pass\r\n").encode()
FOREIGN = b"Authentication-Results: mx.other.test; spf=fail\r\n"
BODY = b"From: x@bank.test\r\nTo: ann@example.org\r\nSubject: Pay\r\n\r\nPay now.\r\n"


def test_forged_ranges_cover_whole_fields() -> None:
    head = FORGED + FOREIGN + FORGED.replace(HOST.encode(), HOST.upper().encode()) + BODY
    ranges = forged_results(head, HOST)
    kept = bytearray(head)
    for start, end in reversed(ranges):
        del kept[start:end]
    assert bytes(kept) == FOREIGN + BODY
    last = b"Subject: x\r\n" + FORGED  # the last field, no blank line after it
    assert forged_results(last, HOST) == [(12, len(last))]
    assert forged_results(b"Subject: x\r\n" + FORGED[:20], HOST) == []  # cut inside


def test_spool_cut_keeps_everything_else() -> None:
    spool = Spool()
    data = b"a" * 100 + b"XX" + b"b" * 3_000_000 + b"YYY" + b"c"
    spool.write(data)
    spool.cut([(100, 102), (3_000_102, 3_000_105)])
    assert spool.read_all() == b"a" * 100 + b"b" * 3_000_000 + b"c"
    assert spool.size == len(data) - 5


async def test_the_mx_drops_forged_results_and_adds_its_own(world: SmtpWorld) -> None:
    txn = world.delivery.inbound.start(Envelope("192.0.2.7", "bank.test", "x@bank.test", "Q"))
    await txn.add_recipient("ann@example.org")
    ours = world.delivery.inbound.hostname
    txn.write(FORGED.replace(HOST.encode(), ours.encode()) + FOREIGN + BODY)
    await txn.commit()
    [stored] = await world.inbox(world.ann)
    assert b"dkim=pass header.d=bank.test" not in stored
    assert FOREIGN in stored and stored.endswith(BODY)
