"""MAIL FROM (RFC 5321 4.1.1.2): sender, parameters, and the submission rules."""

from __future__ import annotations

from postroom.protocols.smtp.context import Mode
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes


async def test_mail_accepts_a_sender_and_parameters(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<a@remote.test> SIZE=1000 BODY=8BITMIME")).startswith(
        "250 2.1.0")


async def test_null_sender_is_accepted_on_the_mx(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<>")).startswith("250")


async def test_nested_mail_is_refused(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    assert (await d.one("MAIL FROM:<b@remote.test>")).startswith("503 5.5.1")


async def test_declared_size_over_the_limit(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<a@remote.test> SIZE=999999999")).startswith("552 5.3.4")


async def test_binarymime_is_not_offered(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<a@remote.test> BODY=BINARYMIME")).startswith("555")


async def test_syntax_errors(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:a@remote.test")).startswith("501 5.1.7")
    assert (await d.one("MAIL FROM:<a@remote.test> FOO=BAR")).startswith("555 5.5.4")


async def test_submission_needs_auth(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<ann@example.org>")).startswith("530 5.7.0")


async def test_submission_sender_must_be_owned(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    await t.login()
    assert (await t.line("MAIL FROM:<bob@example.org>")).startswith("553 5.7.1")
    assert (await t.line("MAIL FROM:<>")).startswith("553 5.7.1")
    assert (await t.line("MAIL FROM:<someone@remote.test>")).startswith("553 5.7.1")
    # An alias that reaches ann is hers to send as; so is her own address in any case.
    assert codes(await t.line("MAIL FROM:<Team@Example.org>")) == ["250"]
    await t.line("RSET")
    assert codes(await t.line("MAIL FROM:<ANN@example.org>")) == ["250"]


async def test_mx_after_auth_submits(world: SmtpWorld) -> None:
    t = await world.talk(Mode.MX, peer_ip="127.0.0.1")
    await t.ehlo()
    await t.login()
    assert (await t.line("MAIL FROM:<bob@example.org>")).startswith("553 5.7.1")
