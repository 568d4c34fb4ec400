"""LIST (RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819),
SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348)."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


def names(reply: str) -> list[str]:
    return [line.rsplit(" ", 1)[1].strip('"') for line in reply.splitlines()
            if line.startswith("* LIST")]


async def test_delimiter_query(logged_in: Transcript) -> None:
    reply = await logged_in.send('a LIST "" ""')
    assert reply == '* LIST (\\Noselect) "/" ""\r\na OK LIST completed\r\n'


async def test_list_all(logged_in: Transcript) -> None:
    reply = await logged_in.send('a LIST "" *')
    assert names(reply) == ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"]
    assert '* LIST (\\HasNoChildren \\Sent) "/" "Sent"' in reply


async def test_percent_and_children(logged_in: Transcript) -> None:
    await logged_in.send("a CREATE Work/Reports/2026")
    reply = await logged_in.send('b LIST "" %')
    assert "Work" in names(reply) and "Work/Reports" not in names(reply)
    assert '* LIST (\\HasChildren) "/" "Work"' in reply
    assert names(await logged_in.send('c LIST Work/ %')) == ["Work/Reports"]
    assert names(await logged_in.send('d LIST "" Work/*')) == ["Work/Reports", "Work/Reports/2026"]


async def test_inbox_pattern_is_case_insensitive(logged_in: Transcript) -> None:
    assert names(await logged_in.send('a LIST "" inbox')) == ["INBOX"]
    assert names(await logged_in.send('b LIST "" Sen*')) == ["Sent"]


async def test_special_use_selection(logged_in: Transcript) -> None:
    reply = await logged_in.send('a LIST (SPECIAL-USE) "" *')
    assert names(reply) == ["Archive", "Drafts", "Junk", "Sent", "Trash"]


async def test_subscribed_selection_and_return(logged_in: Transcript) -> None:
    await logged_in.send("a UNSUBSCRIBE Junk")
    reply = await logged_in.send('b LIST (SUBSCRIBED) "" * RETURN (CHILDREN)')
    assert "Junk" not in names(reply)
    assert '* LIST (\\HasNoChildren \\Subscribed) "/" "INBOX"' in reply


async def test_recursivematch(logged_in: Transcript) -> None:
    await logged_in.send("a CREATE Top/Sub")
    await logged_in.send("b UNSUBSCRIBE Top")
    reply = await logged_in.send('c LIST (SUBSCRIBED RECURSIVEMATCH) "" %')
    assert '* LIST (\\HasChildren) "/" "Top" ("CHILDINFO" ("SUBSCRIBED"))' in reply


async def test_multiple_patterns_and_status(logged_in: Transcript, inbox: list[bytes]) -> None:
    reply = await logged_in.send('a LIST "" (INBOX Sent) RETURN (STATUS (MESSAGES UNSEEN))')
    assert names(reply) == ["INBOX", "Sent"]
    assert '* STATUS "INBOX" (MESSAGES 3 UNSEEN 2)' in reply
    assert '* STATUS "Sent" (MESSAGES 0 UNSEEN 0)' in reply
