"""RCPT TO (RFC 5321 4.1.1.3): hosted domains only, no relay tricks, per-recipient answers."""

from __future__ import annotations

import pytest

from postroom.protocols.smtp.context import Mode
from postroom.store.records import Role
from tests.factories import make_message
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes

RELAY_TRICKS = [
    "<@relay.example.org:victim@remote.test>",  # source route
    "<victim%remote.test@example.org>",  # percent hack
    "<remote.test!victim@example.org>",  # bang path
    '<"victim@remote.test"@example.org>',  # quoted local part
    '<"ann"@example.org>',  # quoted local part, even of a real address
    "<victim@[127.0.0.1]>",  # address literal
    "<ann@example.org.>",  # trailing dot
    "<victim@remote.test>",  # plainly not ours
    "<victim@example.org.remote.test>",  # suffix games
    "<victim@remote.test@example.org>",  # two @
]


async def _in_transaction(dialog_factory: DialogFactory, mode: Mode = Mode.MX):  # type: ignore[no-untyped-def]
    d = await dialog_factory(mode)
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    return d


async def test_rcpt_needs_mail(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("503 5.5.1")


async def test_known_recipient_is_accepted(dialog_factory: DialogFactory) -> None:
    d = await _in_transaction(dialog_factory)
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("250 2.1.5")
    assert (await d.one("RCPT TO:<ANN+lists@EXAMPLE.ORG>")).startswith("250 2.1.5")


async def test_unknown_recipient_is_refused_at_rcpt(dialog_factory: DialogFactory) -> None:
    d = await _in_transaction(dialog_factory)
    assert (await d.one("RCPT TO:<nobody@example.org>")).startswith("550 5.1.1")


@pytest.mark.parametrize("path", RELAY_TRICKS)
async def test_relay_tricks_are_refused(dialog_factory: DialogFactory, path: str) -> None:
    d = await _in_transaction(dialog_factory)
    reply = await d.one(f"RCPT TO:{path}")
    assert reply[0] == "5", reply
    assert reply[:3] in ("550", "553", "501"), reply


async def test_relay_after_all_refused_means_no_data(dialog_factory: DialogFactory) -> None:
    d = await _in_transaction(dialog_factory)
    await d.one("RCPT TO:<victim@remote.test>")
    assert (await d.one("DATA")).startswith("503")


async def test_non_ascii_recipient_needs_smtputf8(dialog_factory: DialogFactory) -> None:
    d = await _in_transaction(dialog_factory)
    assert (await d.one("RCPT TO:<ünïcode@example.org>")).startswith("553 5.6.7")


async def test_alias_expands_to_its_accounts(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    out = await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<team@example.org>\r\nDATA\r\n")
    assert codes(out) == ["250", "250", "354"]
    assert codes(await t.send(make_message(to="team@example.org") + b".\r\n")) == ["250"]
    assert len(await world.inbox(world.ann)) == 1
    assert len(await world.inbox(world.bob)) == 1


async def test_full_mailbox_is_a_temporary_refusal(world: SmtpWorld) -> None:
    await world.services.tenancy.accounts.set_quota("bob@example.org", 1024 * 1024)
    await world.services.mail.append(world.bob.id, "INBOX", b"Subject: big\r\n\r\n"
                                     + b"x" * (1024 * 1024 - 100) + b"\r\n")
    t = await world.talk()
    await t.ehlo()
    await t.line("MAIL FROM:<a@remote.test> SIZE=5000")
    assert (await t.line("RCPT TO:<bob@example.org>")).startswith("452 4.2.2")
    assert (await t.line("RCPT TO:<ann@example.org>")).startswith("250")


async def test_too_many_recipients(world: SmtpWorld) -> None:
    t = await world.talk(mx_max_recipients=2)
    await t.ehlo()
    await t.line("MAIL FROM:<a@remote.test>")
    await t.line("RCPT TO:<ann@example.org>")
    await t.line("RCPT TO:<bob@example.org>")
    assert (await t.line("RCPT TO:<team@example.org>")).startswith("452 4.5.3")


async def test_forwarding_alias_goes_to_the_queue(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<fwd@example.org>\r\nDATA\r\n")
    assert codes(await t.send(make_message(to="fwd@example.org") + b".\r\n")) == ["250"]
    queued = await world.delivery.queue.list_messages()
    assert [r.address for m in queued for r in m.recipients] == ["someone@remote.test"]


async def test_submission_may_send_anywhere(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    await t.login()
    await t.line("MAIL FROM:<ann@example.org>")
    assert codes(await t.line("RCPT TO:<friend@remote.test>")) == ["250"]
    assert (await t.line("RCPT TO:<nobody@example.org>")).startswith("550 5.1.1")
    assert (await t.line("RCPT TO:<x%y@remote.test>")).startswith("553")


async def test_role_addresses_reach_the_organisation_admins(world: SmtpWorld) -> None:
    """RFC 5321 4.5.1: postmaster@ every hosted domain is accepted; abuse@ too (RFC 2142)."""
    admin = await world.services.tenancy.accounts.add(
        "it@example.org", "correct horse battery", role=Role.ORG_ADMIN)
    t = await world.talk()
    await t.ehlo()
    out = await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<Postmaster@example.org>\r\n"
                       "RCPT TO:<abuse@example.org>\r\nDATA\r\n")
    assert codes(out) == ["250", "250", "250", "354"]
    assert codes(await t.send(make_message(to="postmaster@example.org") + b".\r\n")) == ["250"]
    assert len(await world.inbox(admin)) == 1 and await world.inbox(world.ann) == []


async def test_an_existing_postmaster_alias_wins(world: SmtpWorld) -> None:
    await world.services.tenancy.recipients.add_alias("postmaster@example.org",
                                                      ["bob@example.org"])
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<postmaster@example.org>\r\nDATA\r\n")
    assert codes(await t.send(make_message(to="postmaster@example.org") + b".\r\n")) == ["250"]
    assert len(await world.inbox(world.bob)) == 1


async def test_bare_postmaster_goes_to_the_configured_address(world: SmtpWorld) -> None:
    t = await world.talk(postmaster="ann@example.org")
    await t.ehlo()
    await t.line("MAIL FROM:<a@remote.test>")
    assert (await t.line("RCPT TO:<postmaster>")).startswith("250")
    assert (await t.line("RCPT TO:<postmaster@mx.postroom.test>")).startswith("250")
    t = await world.talk()  # no postmaster_address: this host is not a hosted domain
    await t.ehlo()
    await t.line("MAIL FROM:<a@remote.test>")
    assert (await t.line("RCPT TO:<postmaster>"))[0] == "5"
