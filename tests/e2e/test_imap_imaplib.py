"""Postroom's IMAP server over loopback with the standard library's imaplib.

STARTTLS and implicit TLS, folders with non-ASCII names, APPEND then FETCH
byte-identical, every SEARCH key with exact UIDs, STORE/COPY/MOVE/EXPUNGE, and two
connections seeing each other's flag changes.
"""

from __future__ import annotations

import asyncio
import imaplib
import re
from datetime import UTC, datetime

import pytest

from postroom.protocols.imap import utf7
from tests.e2e.imap_harness import ImapNode, imap_node_fixture  # noqa: F401 - fixture
from tests.factories import make_message
from tests.protocol.imap.test_imap_cmd_search import CASES, MESSAGES, build


def starttls_client(node: ImapNode) -> imaplib.IMAP4:
    client = imaplib.IMAP4(node.host, node.port)
    client.starttls(node.client_tls())
    client.login(node.address, node.password)
    return client


def tls_client(node: ImapNode) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(node.host, node.tls_port, ssl_context=node.client_tls())
    client.login(node.address, node.password)
    return client


def ok(result: tuple[str, list[object]]) -> list[object]:
    typ, data = result
    assert typ == "OK", data
    return data


async def test_starttls_login_append_fetch_byte_identical(imap_node: ImapNode) -> None:
    raws = [make_message("Bytes", body="Exactly these bytes.\r\n"),
            make_message("Attachment", attachment=bytes(range(256)) * 40),
            b"Subject: odd\r\n\r\n\xff\xfe 8-bit body\r\n"]

    def run() -> list[bytes]:
        client = starttls_client(imap_node)
        for raw in raws:
            data = ok(client.append("INBOX", None, None, raw))
            assert re.match(rb"\[APPENDUID \d+ \d+\]", data[0])  # type: ignore[arg-type]
        ok(client.select("INBOX"))
        data = ok(client.fetch("1:3", "(BODY.PEEK[])"))
        client.logout()
        return [item[1] for item in data if isinstance(item, tuple)]

    assert await asyncio.to_thread(run) == raws


async def test_implicit_tls(imap_node: ImapNode) -> None:
    def run() -> list[object]:
        client = tls_client(imap_node)
        data = ok(client.capability())
        client.logout()
        return data

    caps = (await asyncio.to_thread(run))[0]
    assert b"IDLE" in caps and b"STARTTLS" not in caps  # type: ignore[operator]


async def test_plain_login_refused_without_tls_when_not_loopback_policy(
        imap_node: ImapNode) -> None:
    # Loopback is allowed in development; the setting decides (see transcript tests for
    # the refusal). Here: LOGIN over plain TCP on loopback works.
    def run() -> str:
        client = imaplib.IMAP4(imap_node.host, imap_node.port)
        typ, _ = client.login(imap_node.address, imap_node.password)
        client.logout()
        return typ

    assert await asyncio.to_thread(run) == "OK"


async def test_folders_with_non_ascii_names(imap_node: ImapNode) -> None:
    names = ["Пошта", "Été/Août", "日本語", "Tom & Jerry"]

    def run() -> list[bytes]:
        client = starttls_client(imap_node)
        for name in names:
            ok(client.create('"' + utf7.encode(name) + '"'))
        ok(client.rename('"' + utf7.encode("日本語") + '"', '"' + utf7.encode("中文") + '"'))
        ok(client.delete('"' + utf7.encode("Tom & Jerry") + '"'))
        listing = ok(client.list())
        client.logout()
        return listing  # type: ignore[return-value]

    listing = await asyncio.to_thread(run)
    shown = {utf7.decode(line.rsplit(b" ", 1)[1].strip(b'"')) for line in listing}
    assert {"Пошта", "Été", "Été/Août", "中文"} <= shown
    assert "日本語" not in shown and "Tom & Jerry" not in shown
    folders = {f.name for f in await imap_node.services.mail.list_folders(imap_node.account_id)}
    assert {"Пошта", "Été/Août", "中文"} <= folders


async def test_every_search_key(imap_node: ImapNode) -> None:
    mail, account = imap_node.services.mail, imap_node.account_id
    for subject, sender, to, cc, bcc, date, body, day, flags, extra in MESSAGES:
        raw = build(subject, sender, to, cc, bcc, date, body, extra)
        await mail.append(account, "INBOX", raw, flags, datetime(*day, 8, 0, tzinfo=UTC))

    def run() -> dict[str, str]:
        client = starttls_client(imap_node)
        ok(client.select("INBOX"))
        found = {}
        for key, _ in CASES:
            data = ok(client.uid("SEARCH", key.encode()))  # UIDs 1..4 are messages 1..4
            found[key] = (data[0] or b"").decode()  # type: ignore[union-attr]
        client.logout()
        return found

    found = await asyncio.to_thread(run)
    assert found == {key: expected for key, expected in CASES}


async def test_store_copy_move_expunge(imap_node: ImapNode) -> None:
    mail, account = imap_node.services.mail, imap_node.account_id
    for i in range(5):
        await mail.append(account, "INBOX", make_message(f"M{i}"))

    def run() -> tuple[object, ...]:
        client = starttls_client(imap_node)
        ok(client.select("INBOX"))
        stored = ok(client.store("1:2", "+FLAGS", "(\\Flagged)"))
        copied = ok(client.copy("1", "Archive"))
        moved = ok(client.uid("MOVE", "3", "Trash"))
        ok(client.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
        expunged = ok(client.expunge())
        uids = ok(client.uid("SEARCH", "ALL"))
        client.logout()
        return stored, copied, moved, expunged, uids

    stored, _, _, expunged, uids = await asyncio.to_thread(run)
    assert stored == [b"1 (FLAGS (\\Flagged))", b"2 (FLAGS (\\Flagged))"]
    assert expunged == [b"3", b"1"]  # imaplib keeps MOVE's EXPUNGE too
    assert uids == [b"2 4 5"]
    assert (await mail.folder_status(account, "Archive")).messages == 1
    assert (await mail.folder_status(account, "Trash")).messages == 1
    archive = await mail.get_folder(account, "Archive")
    [row] = await mail.messages(account, archive.id)
    assert row.flags == {"\\Flagged"}


async def test_two_connections_see_each_others_flags(imap_node: ImapNode) -> None:
    await imap_node.services.mail.append(imap_node.account_id, "INBOX", make_message("Shared"))

    def run() -> tuple[list[object], list[object]]:
        one, two = starttls_client(imap_node), starttls_client(imap_node)
        ok(one.select("INBOX"))
        ok(two.select("INBOX"))
        ok(one.store("1", "+FLAGS", "(\\Answered)"))
        ok(two.noop())
        seen_by_two = two.response("FETCH")[1]
        ok(two.store("1", "+FLAGS.SILENT", "($Done)"))
        ok(one.noop())
        seen_by_one = one.response("FETCH")[1]
        one.logout()
        two.logout()
        return seen_by_two, seen_by_one

    seen_by_two, seen_by_one = await asyncio.to_thread(run)
    assert seen_by_two == [b"1 (FLAGS (\\Answered))"]
    assert seen_by_one == [b"1 (FLAGS (\\Answered $Done))"]


@pytest.mark.parametrize("command", ["NOOP", "CHECK"])
async def test_new_mail_reported(imap_node: ImapNode, command: str) -> None:
    def select() -> imaplib.IMAP4:
        client = starttls_client(imap_node)
        ok(client.select("INBOX"))
        return client

    client = await asyncio.to_thread(select)
    await imap_node.services.mail.append(imap_node.account_id, "INBOX", make_message("New"))

    def poll() -> list[object]:
        typ, _ = client._simple_command(command)
        assert typ == "OK"
        exists = client.response("EXISTS")[1]
        client.logout()
        return exists

    assert await asyncio.to_thread(poll) == [b"0", b"1"]  # SELECT's, then the new one
