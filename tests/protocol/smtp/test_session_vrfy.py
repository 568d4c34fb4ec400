"""VRFY and EXPN (RFC 5321 3.5): no information about any address, ever."""

from __future__ import annotations

from tests.protocol.smtp.conftest import DialogFactory


async def test_vrfy_gives_the_same_answer_for_everyone(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    known = await d.one("VRFY ann@example.org")
    unknown = await d.one("VRFY nobody@example.org")
    alias = await d.one("VRFY team")
    assert known == unknown == alias
    assert known.startswith("252 2.5.0")


async def test_expn_is_not_available(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("EXPN team@example.org")).startswith("502 5.5.1")


async def test_vrfy_needs_an_argument(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("VRFY")).startswith("501")


async def test_vrfy_is_not_allowed_before_ehlo(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("VRFY ann@example.org")).startswith("503")
