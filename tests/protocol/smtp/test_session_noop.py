"""NOOP (RFC 5321 4.1.1.9): 250 in every state, argument ignored, nothing changes."""

from __future__ import annotations

from tests.protocol.smtp.conftest import DialogFactory


async def test_noop_before_and_after_ehlo(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("NOOP")).startswith("250 2.0.0")
    await d.one("EHLO a.example")
    assert (await d.one("NOOP ignored argument")).startswith("250 2.0.0")


async def test_noop_inside_a_transaction_keeps_it(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    assert (await d.one("NOOP")).startswith("250")
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("250 2.1.5")
