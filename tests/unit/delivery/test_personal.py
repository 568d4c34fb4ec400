"""A user's filters, forwarding and vacation reply, applied by the delivery path.

Mail comes in through the MX transaction (``delivery.inbound``) and through the
submission path (local recipients); both store through ``delivery.local``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from postroom.delivery.inbound import Envelope
from postroom.delivery.personal import MessageFacts, vacation_reply
from postroom.store import schema as s
from postroom.store.queue import QueuedMessage
from postroom.store.records import Account
from postroom.store.userdata import UserData, Vacation
from postroom.tenancy.preferences import Preferences
from tests.factories import make_message
from tests.protocol.smtp.transcript import SmtpWorld


def prefs(world: SmtpWorld) -> Preferences:
    return Preferences(UserData(world.services.db), world.services.tenancy.organisations)


async def mx(world: SmtpWorld, message: bytes, to: list[str],
             mail_from: str = "carol@remote.test") -> list[str]:
    """Deliver ``message`` as the MX would; return the addresses it was delivered to."""
    txn = world.delivery.inbound.start(Envelope("192.0.2.7", "remote.test", mail_from, "Q1"))
    for address in to:
        await txn.add_recipient(address)
    txn.write(message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return (await txn.commit()).delivered


async def queued(world: SmtpWorld) -> list[QueuedMessage]:
    return await world.delivery.queue.list_messages()


async def queued_to(world: SmtpWorld, address: str) -> list[tuple[QueuedMessage, bytes]]:
    out = []
    for m in await queued(world):
        if any(r.address == address for r in m.recipients):
            out.append((m, await world.delivery.queue.read_blob(m)))
    return out


async def flags_in(world: SmtpWorld, account: Account, folder: str) -> list[frozenset[str]]:
    mail = world.services.mail
    info = await mail.get_folder(account.id, folder)
    return [frozenset(r.flags) for r in await mail.messages(account.id, info.id)]


async def away(world: SmtpWorld, account: Account, **kw: object) -> None:
    values: dict[str, object] = {"enabled": True, "body": "I am away until Monday.",
                                 "start": date.today() - timedelta(days=1),
                                 "end": date.today() + timedelta(days=7)}
    values.update(kw)
    await prefs(world).set_vacation(account, Vacation(**values))  # type: ignore[arg-type]


# --- filters ------------------------------------------------------------------------


async def test_filter_moves_and_marks_read(world: SmtpWorld) -> None:
    await world.services.mail.create_folder(world.ann.id, "Newsletters")
    p = prefs(world)
    await p.add_filter(world.ann, "subject", "weekly digest", "move", "Newsletters")
    await p.add_filter(world.ann, "from", "news@remote.test", "mark_read")
    letter = make_message(subject="The Weekly Digest, issue 4",
                          sender="News <news@remote.test>")
    assert await mx(world, letter, ["ann@example.org"]) == ["ann@example.org"]
    assert await world.inbox(world.ann) == []
    [stored] = await world.inbox(world.ann, "Newsletters")
    assert b"Weekly Digest" in stored
    assert await flags_in(world, world.ann, "Newsletters") == [frozenset({"\\Seen"})]
    # Another message is untouched; bob has no filters and gets his copy in INBOX.
    await mx(world, make_message(subject="Hello"), ["ann@example.org", "bob@example.org"])
    assert len(await world.inbox(world.ann)) == 1 and len(await world.inbox(world.bob)) == 1


async def test_filter_to_a_deleted_folder_falls_back_to_inbox(world: SmtpWorld) -> None:
    mail = world.services.mail
    await mail.create_folder(world.ann.id, "Old")
    await prefs(world).add_filter(world.ann, "subject", "report", "move", "Old")
    await mail.delete_folder(world.ann.id, "Old")
    await mx(world, make_message(subject="Monthly report"), ["ann@example.org"])
    assert len(await world.inbox(world.ann)) == 1


async def test_filter_delete_drops_the_copy_but_accepts(world: SmtpWorld) -> None:
    await prefs(world).add_filter(world.ann, "from", "spammer", "delete")
    delivered = await mx(world, make_message(sender="spammer@remote.test"),
                         ["ann@example.org", "bob@example.org"])
    assert delivered == ["ann@example.org", "bob@example.org"]
    assert await world.inbox(world.ann) == [] and len(await world.inbox(world.bob)) == 1


async def test_filter_forward_queues_a_copy(world: SmtpWorld) -> None:
    await prefs(world).add_filter(world.ann, "to", "ann@", "forward", "ann@home.test")
    await mx(world, make_message(subject="For home"), ["ann@example.org"])
    [(m, data)] = await queued_to(world, "ann@home.test")
    assert m.mail_from == "carol@remote.test" and b"For home" in data
    assert len(await world.inbox(world.ann)) == 1


# --- forwarding -----------------------------------------------------------------------


async def test_forwarding_with_and_without_a_copy(world: SmtpWorld) -> None:
    p = prefs(world)
    await p.set_forwarding(world.ann, "ann@elsewhere.test", keep_copy=False)
    assert await mx(world, make_message(subject="one"), ["ann@example.org"]) == [
        "ann@example.org"]
    assert await world.inbox(world.ann) == []
    assert len(await queued_to(world, "ann@elsewhere.test")) == 1
    await p.set_forwarding(world.ann, "ann@elsewhere.test", keep_copy=True)
    await mx(world, make_message(subject="two"), ["ann@example.org"])
    assert len(await world.inbox(world.ann)) == 1
    assert len(await queued_to(world, "ann@elsewhere.test")) == 2


async def test_forwarding_to_a_local_address_is_queued_as_local(world: SmtpWorld) -> None:
    await prefs(world).set_forwarding(world.ann, "bob@example.org", keep_copy=False)
    await prefs(world).set_forwarding(world.bob, "ann@example.org", keep_copy=True)
    await mx(world, make_message(subject="loop?"), ["ann@example.org"])
    [(m, _)] = await queued_to(world, "bob@example.org")
    assert [r.local for r in m.recipients] == [True]
    # The queue stores it for bob without applying bob's rules again: no loop.
    await world.delivery.worker.run_once()
    assert len(await world.inbox(world.bob)) == 1
    assert await queued_to(world, "ann@example.org") == []


async def test_no_forwarding_where_the_organisation_forbids_it(world: SmtpWorld) -> None:
    await prefs(world).set_forwarding(world.ann, "ann@elsewhere.test", keep_copy=False)
    async with world.services.db.write() as conn:
        await conn.execute(update(s.organisation).values(allow_forwarding=False))
    await mx(world, make_message(subject="stay"), ["ann@example.org"])
    assert await queued_to(world, "ann@elsewhere.test") == []
    assert len(await world.inbox(world.ann)) == 1  # and the copy is kept


# --- vacation replies (RFC 3834) -----------------------------------------------------


async def test_vacation_reply_once_per_sender(world: SmtpWorld) -> None:
    await away(world, world.ann, subject="Out of office")
    letter = make_message(subject="Meeting", sender="Carol <carol@remote.test>")
    await mx(world, letter, ["ann@example.org"])
    await mx(world, make_message(subject="Meeting again", sender="carol@remote.test"),
             ["ann@example.org"])
    [(m, reply)] = await queued_to(world, "carol@remote.test")
    assert m.mail_from == ""  # RFC 3834 3.3: the null reverse-path
    head = reply.split(b"\r\n\r\n")[0]
    assert b"Auto-Submitted: auto-replied" in head
    assert b"Subject: Out of office" in head
    assert b"From: ann@example.org" in head or b"<ann@example.org>" in head
    original = MessageFacts.of(letter).message_id
    assert f"In-Reply-To: {original}".encode() in head
    assert b"DKIM-Signature:" in head  # it went through the submission path
    assert b"I am away until Monday." in reply
    # Another sender gets their own reply.
    await mx(world, make_message(sender="dan@remote.test"), ["ann@example.org"],
             mail_from="dan@remote.test")
    assert len(await queued_to(world, "dan@remote.test")) == 1


async def test_no_vacation_reply_to_automatic_or_list_mail(world: SmtpWorld) -> None:
    await away(world, world.ann)
    base = make_message(sender="x@remote.test")
    cases = {
        "auto@remote.test": b"Auto-Submitted: auto-generated\n" + base,
        "list@remote.test": b"List-Id: <staff.remote.test>\n" + base,
        "bulk@remote.test": b"Precedence: bulk\n" + base,
        "owner-staff@remote.test": base,
        "staff-request@remote.test": base,
        "MAILER-DAEMON@remote.test": base,
    }
    for sender, message in cases.items():
        await mx(world, message, ["ann@example.org"], mail_from=sender)
    await mx(world, base, ["ann@example.org"], mail_from="")  # a bounce
    # Sent to an alias ann is on, not to ann: not personal (RFC 3834 2).
    await mx(world, make_message(to="team@example.org"), ["team@example.org"],
             mail_from="eve@remote.test")
    assert await queued(world) == []
    assert len(await world.inbox(world.ann)) == len(cases) + 2


async def test_vacation_reply_outside_its_dates_or_off(world: SmtpWorld) -> None:
    await away(world, world.ann, start=date.today() + timedelta(days=2))
    await mx(world, make_message(), ["ann@example.org"])
    await away(world, world.ann, enabled=False, body="")
    await mx(world, make_message(), ["ann@example.org"])
    assert await queued(world) == []


async def test_vacation_reply_between_local_users(world: SmtpWorld) -> None:
    await away(world, world.bob, body="Back next week.")
    submit = world.delivery.submitter.submit
    for _ in range(2):
        await submit(world.ann, "ann@example.org", ["bob@example.org"],
                     make_message(sender="ann@example.org", to="bob@example.org",
                                  subject="Lunch?"))
    replies = await world.inbox(world.ann)
    assert len(replies) == 1
    assert b"Auto-Submitted: auto-replied" in replies[0] and b"Back next week." in replies[0]
    assert b"Subject: Auto: Lunch?" in replies[0]
    # The reply in ann's INBOX did not make ann's own rules answer back.
    assert len(await world.inbox(world.bob)) == 2


async def test_a_changed_vacation_answers_everyone_again(world: SmtpWorld) -> None:
    await away(world, world.ann, body="First trip.")
    await mx(world, make_message(), ["ann@example.org"])
    await away(world, world.ann, body="Second trip.")
    await mx(world, make_message(), ["ann@example.org"])
    assert len(await queued_to(world, "carol@remote.test")) == 2


def test_facts_and_reply_text() -> None:
    raw = (b"From: =?utf-8?q?Zo=C3=AB?= <zoe@remote.test>\r\nTo: ann@example.org,\r\n"
           b" Team <team@example.org>\r\nCc: bob@example.org\r\nSubject: Plans\r\n"
           b"Message-ID: <m1@remote.test>\r\nReferences: <m0@remote.test>\r\n"
           b"Received: from a\r\nReceived: from b\r\n\r\nbody\r\n")
    facts = MessageFacts.of(raw)
    assert facts.sender == "Zoë <zoe@remote.test>"
    assert facts.addressed_to == {"ann@example.org", "team@example.org", "bob@example.org"}
    assert facts.hops == 2 and not facts.automatic
    account = Account(id=1, organisation_id=1, domain_id=1, address="ann@example.org",
                      display_name="Ann Example", password_hash="")
    reply = vacation_reply(account, "", "Away.\n", facts, "zoe@remote.test")
    assert b"Subject: Auto: Plans" in reply
    assert b"References: <m0@remote.test> <m1@remote.test>" in reply
    assert b"From: Ann Example <ann@example.org>" in reply


async def test_vacation_reply_for_a_personal_alias(world: SmtpWorld) -> None:
    await world.services.tenancy.recipients.add_alias("ann.smith@example.org",
                                                      ["ann@example.org"])
    await away(world, world.ann)
    await mx(world, make_message(to="Ann Smith <ann.smith@example.org>"),
             ["ann.smith@example.org"])
    assert len(await queued_to(world, "carol@remote.test")) == 1
