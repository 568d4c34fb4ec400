"""ENABLE (RFC 5161): CONDSTORE, QRESYNC (implies CONDSTORE), UTF8=ACCEPT, IMAP4rev2."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_enable(logged_in: Transcript) -> None:
    reply = await logged_in.send("a ENABLE QRESYNC X-UNKNOWN")
    assert reply == "* ENABLED QRESYNC\r\na OK ENABLE completed\r\n"
    assert logged_in.session.condstore
    assert await logged_in.send("b ENABLE QRESYNC") == "* ENABLED\r\nb OK ENABLE completed\r\n"


async def test_enable_utf8_switches_mailbox_names(logged_in: Transcript) -> None:
    await logged_in.send("a ENABLE UTF8=ACCEPT")
    assert (await logged_in.send('b CREATE "Пошта"')).endswith("b OK CREATE completed\r\n")
    assert '"Пошта"' in await logged_in.send('c LIST "" *')


async def test_enable_not_before_login(imap: Open) -> None:
    assert (await imap().send("a ENABLE CONDSTORE")).startswith("a BAD")


async def test_enable_not_when_selected(selected: Transcript) -> None:
    assert (await selected.send("a ENABLE CONDSTORE")).startswith("a BAD")
