"""POP3 end to end with stdlib poplib over loopback, against a real listener.

What POP3 serves agrees byte for byte with what the store (and so IMAP) serves; DELE
takes effect at QUIT only; UIDLs stay put across sessions and expunges; one session per
maildrop; RETR sets \\Seen; storage trouble is [SYS/TEMP]; delivered mail appears.
"""

from __future__ import annotations

import asyncio
import poplib
import socket
from collections.abc import AsyncIterator

import pytest

from postroom.app import Services
from postroom.protocols.pop3.dotstuff import encode_message, unstuff, wire_size
from postroom.protocols.pop3.server import ServerLimits
from postroom.store.records import MessageRow, Target
from tests.factories import PASSWORD, make_account, make_message, make_org
from tests.protocol.pop3.live import LivePop3, live_pop3

ADDRESS = "ann@example.org"
ODD = b"Subject: odd\n\n.dot first\nbare LF\r\n..\nlast line without end"


@pytest.fixture
async def ann(services: Services) -> int:
    await make_org(services)
    account = await make_account(services)
    for i in range(4):
        await services.mail.append(account.id, "INBOX",
                                   make_message(f"Message {i}", body=f"Line.\n.{i}\n" * 50))
    await services.mail.append(account.id, "INBOX", ODD)
    return account.id


@pytest.fixture
async def live(services: Services, ann: int) -> AsyncIterator[LivePop3]:
    async with live_pop3(services) as node:
        yield node


async def rows(services: Services, account_id: int) -> list[MessageRow]:
    folder = await services.mail.get_folder(account_id, "INBOX")
    return await services.mail.messages(account_id, folder.id)


def logged_in(live: LivePop3) -> poplib.POP3:
    client = live.client()
    client.user(ADDRESS)
    client.pass_(PASSWORD)
    return client


def pop3_form(stored: bytes) -> bytes:
    """The stored message in POP3 line form (CRLF everywhere, ends with CRLF)."""
    return unstuff(b"".join(encode_message([stored])))


async def test_everything_agrees_with_the_store(services: Services, ann: int,
                                                live: LivePop3) -> None:
    stored = [await services.mail.read_message(r) for r in await rows(services, ann)]
    Retr = tuple[bytes, list[bytes], int]

    def session() -> tuple[tuple[int, int], list[bytes], list[bytes], list[Retr], list[bytes]]:
        c = logged_in(live)
        stat, listing, uidl = c.stat(), c.list()[1], c.uidl()[1]
        retrs = [c.retr(n) for n in range(1, len(stored) + 1)]
        top = c.top(1, 2)[1]
        c.quit()
        return stat, listing, uidl, retrs, top

    stat, listing, uidl, retrs, top = await asyncio.to_thread(session)
    sizes = [wire_size(s) for s in stored]
    assert stat == (len(stored), sum(sizes))
    assert listing == [f"{n} {size}".encode() for n, size in enumerate(sizes, 1)]
    assert len(uidl) == len(stored)
    for raw, (status, lines, _) in zip(stored, retrs, strict=True):
        body = b"\r\n".join(lines) + b"\r\n"
        assert body == pop3_form(raw)
        assert status == f"+OK {len(body)} octets".encode()
    assert stored[0].endswith(b"\r\n") and pop3_form(stored[0]) == stored[0]  # byte for byte
    header, _, rest = stored[0].partition(b"\r\n\r\n")
    first_two = b"\r\n".join(rest.split(b"\r\n")[:2]) + b"\r\n"
    assert b"\r\n".join(top) + b"\r\n" == header + b"\r\n\r\n" + first_two


async def test_dele_and_quit_removes(services: Services, ann: int, live: LivePop3) -> None:
    def session() -> None:
        c = logged_in(live)
        c.dele(1)
        c.dele(3)
        c.quit()

    await asyncio.to_thread(session)
    assert [r.uid for r in await rows(services, ann)] == [2, 4, 5]


async def test_dele_and_drop_removes_nothing(services: Services, ann: int,
                                             live: LivePop3) -> None:
    def session() -> None:
        c = logged_in(live)
        c.dele(1)
        c.dele(2)
        c.sock.shutdown(socket.SHUT_RDWR)  # gone without QUIT
        c.close()

    await asyncio.to_thread(session)
    for _ in range(200):  # until the server has noticed the disconnect
        if not live.server.locks.held(ann):
            break
        await asyncio.sleep(0.05)
    assert [r.uid for r in await rows(services, ann)] == [1, 2, 3, 4, 5]
    assert await asyncio.to_thread(lambda: logged_in(live).stat()[0]) == 5  # lock released


async def test_uidls_stable_across_sessions_and_expunges(services: Services, ann: int,
                                                         live: LivePop3) -> None:
    def uidl() -> list[bytes]:
        c = logged_in(live)
        ids = [line.split()[1] for line in c.uidl()[1]]
        c.quit()
        return ids

    first = await asyncio.to_thread(uidl)
    assert await asyncio.to_thread(uidl) == first
    folder = await services.mail.get_folder(ann, "INBOX")
    await services.mail.delete_messages(ann, folder.id, [2, 4])  # as IMAP EXPUNGE would
    await services.mail.append(ann, "INBOX", make_message("after"))
    third = await asyncio.to_thread(uidl)
    assert third[:3] == [first[0], first[2], first[4]]
    assert third[3] not in first


async def test_second_session_is_in_use(live: LivePop3) -> None:
    def sessions() -> str:
        first = logged_in(live)
        second = live.client()
        second.user(ADDRESS)
        try:
            second.pass_(PASSWORD)
        except poplib.error_proto as exc:
            reply = exc.args[0].decode()
        else:
            reply = "logged in"
        second.quit()
        first.quit()
        return reply

    assert (await asyncio.to_thread(sessions)).startswith("-ERR [IN-USE]")


async def test_retr_sets_seen(services: Services, ann: int, live: LivePop3) -> None:
    def session() -> None:
        c = logged_in(live)
        c.retr(2)
        c.top(3, 0)
        c.quit()

    await asyncio.to_thread(session)
    assert ["\\Seen" in r.flags for r in await rows(services, ann)] == [
        False, True, False, False, False]


async def test_storage_trouble_is_sys_temp(services: Services, ann: int,
                                           live: LivePop3) -> None:
    victim = (await rows(services, ann))[0]
    services.blobs.path(victim.blob_hash).unlink()  # the blob store lost a file

    def session() -> str:
        c = logged_in(live)
        try:
            c.retr(1)
        except poplib.error_proto as exc:
            reply = exc.args[0].decode()
        else:
            reply = "retrieved"
        assert c.retr(2)[0].startswith(b"+OK")
        c.quit()
        return reply

    assert (await asyncio.to_thread(session)).startswith("-ERR [SYS/TEMP]")


async def test_delivered_message_appears(services: Services, ann: int, live: LivePop3) -> None:
    raw = make_message("Delivered", body="Through MailStore.deliver.\n")
    outcome = (await services.mail.deliver(raw, [Target(ann, "INBOX")]))[0]
    assert outcome.error is None

    def session() -> list[bytes]:
        c = logged_in(live)
        lines = c.retr(c.stat()[0])[1]
        c.quit()
        return lines

    assert b"\r\n".join(await asyncio.to_thread(session)) + b"\r\n" == raw


async def test_idle_client_is_logged_out(services: Services, ann: int) -> None:
    async with live_pop3(services, ServerLimits(idle_timeout=0.3)) as node:
        def session() -> bytes:
            c = node.client()
            c.sock.settimeout(5)
            return c.file.readline()

        assert (await asyncio.to_thread(session)).startswith(b"-ERR Timeout")


async def test_connections_per_ip_are_limited(services: Services, ann: int) -> None:
    async with live_pop3(services, ServerLimits(connections_per_ip=2)) as node:
        def sessions() -> bytes:
            held = [node.client(), node.client()]
            try:
                node.client()
            except poplib.error_proto as exc:
                return bytes(exc.args[0])
            finally:
                for c in held:
                    c.quit()
            return b"connected"

        assert (await asyncio.to_thread(sessions)).startswith(b"-ERR [SYS/TEMP] Too many")
