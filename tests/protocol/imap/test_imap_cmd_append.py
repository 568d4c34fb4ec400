"""APPEND (RFC 9051 6.3.12): streamed literals, APPENDUID (RFC 4315), TRYCREATE,
OVERQUOTA and TOOBIG before the data, MULTIAPPEND (RFC 3502), LITERAL+ (RFC 7888)."""

from __future__ import annotations

from datetime import UTC, datetime

from postroom.app import Services
from tests.factories import make_message
from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_append_synchronising(logged_in: Transcript, services: Services, ann: int) -> None:
    raw = make_message("Appended")
    folder = await services.mail.get_folder(ann, "Drafts")
    head = b'a APPEND Drafts (\\Draft $Label) "05-Nov-2026 10:00:00 +0100" {%d}\r\n' % len(raw)
    assert await logged_in.raw(head) == b"+ Ready for message data\r\n"
    reply = await logged_in.raw(raw + b"\r\n")
    assert reply == b"a OK [APPENDUID %d 1] APPEND completed\r\n" % folder.uidvalidity
    [row] = await services.mail.messages(ann, folder.id)
    assert await services.mail.read_message(row) == raw
    assert row.flags == {"\\Draft", "$Label"}
    assert row.internal_date == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


async def test_append_in_pieces_non_synchronising(logged_in: Transcript, services: Services,
                                                  ann: int) -> None:
    raw = make_message("Pieces", body="x" * 200_000)
    data = b"a APPEND INBOX {%d+}\r\n" % len(raw) + raw + b"\r\n"
    out = b""
    for start in range(0, len(data), 7000):
        out += await logged_in.raw(data[start : start + 7000])
    assert out.startswith(b"a OK [APPENDUID ") and b"+ " not in out
    [row] = await services.mail.messages(ann, (await services.mail.get_folder(ann, "INBOX")).id)
    assert await services.mail.read_message(row) == raw


async def test_append_missing_mailbox_trycreate(logged_in: Transcript) -> None:
    reply = await logged_in.raw(b"a APPEND Nope {5}\r\n")
    assert reply == b"a NO [TRYCREATE] No such mailbox\r\n"
    assert await logged_in.send("b NOOP") == "b OK NOOP completed\r\n"


async def test_append_non_synchronising_refused_is_discarded(logged_in: Transcript) -> None:
    reply = await logged_in.raw(b"a APPEND Nope {5+}\r\nHello\r\nb NOOP\r\n")
    assert reply == b"a NO [TRYCREATE] No such mailbox\r\nb OK NOOP completed\r\n"


async def test_append_over_quota(imap: Open, services: Services) -> None:
    from tests.factories import make_account, make_org

    await make_org(services)
    await make_account(services, quota=1024 * 1024)
    t = imap()
    await t.login()
    reply = await t.raw(b"a APPEND INBOX {2000000}\r\n")
    assert reply == b"a NO [OVERQUOTA] Mailbox is over quota\r\n"


async def test_append_too_big(logged_in: Transcript) -> None:
    reply = await logged_in.raw(b"a APPEND INBOX {999999999}\r\n")
    assert reply == b"a NO [TOOBIG] Message too large\r\n"


async def test_multiappend(logged_in: Transcript, services: Services, ann: int) -> None:
    one, two = make_message("One"), make_message("Two")
    data = (b"a APPEND Sent (\\Seen) {%d+}\r\n%s {%d+}\r\n%s\r\n"
            % (len(one), one, len(two), two))
    reply = await logged_in.raw(data)
    assert reply.startswith(b"a OK [APPENDUID ") and b" 1:2] " in reply
    assert (await services.mail.folder_status(ann, "Sent")).messages == 2


async def test_append_to_selected_mailbox_reports_exists(selected: Transcript) -> None:
    raw = make_message("Self")
    reply = await selected.raw(b"a APPEND INBOX {%d+}\r\n%s\r\n" % (len(raw), raw))
    assert reply.startswith(b"* 4 EXISTS\r\n")
    assert b"a OK [APPENDUID" in reply


async def test_append_not_authenticated(imap: Open) -> None:
    assert (await imap().raw(b"a APPEND INBOX {5}\r\n")).startswith(b"a BAD")


async def test_bad_syntax_after_literal_aborts(logged_in: Transcript, services: Services,
                                              ann: int) -> None:
    reply = await logged_in.raw(b"a APPEND INBOX {5+}\r\nHello garbage\r\n")
    assert reply.startswith(b"a BAD")
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 0
