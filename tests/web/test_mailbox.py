"""The mailbox view: folder list and counts, sorting and paging, actions, search."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from postroom.store.records import Target
from tests.factories import make_message
from tests.web.conftest import Web, act, csrf_of


async def _fill(web: Web, count: int) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        raw = make_message(f"Subject {i:03d}", body=f"body number {i}\n",
                           sender=f"Sender {chr(65 + i % 26)} <s{i}@example.net>",
                           attachment=b"x" if i % 10 == 0 else None)
        await web.services.mail.deliver(raw, [Target(web.ann.id)],
                                        internal_date=start + timedelta(hours=i))
    return (await web.services.mail.get_folder(web.ann.id, "INBOX")).id


def _subjects(html: str) -> list[str]:
    return re.findall(r'<span class="subject">([^<]+)</span>', html)


async def test_folder_list_shows_unread_counts_and_special_use(signed_in: Web) -> None:
    await _fill(signed_in, 3)
    page = await signed_in.client.get("/mail", follow_redirects=True)
    assert page.status_code == 200
    assert re.search(r'icons.svg#inbox.*?Inbox</span>\s*<span class="count"[^>]*>3', page.text,
                     re.S)
    for icon in ("sent", "drafts", "trash", "junk", "archive"):
        assert f"icons.svg#{icon}" in page.text
    assert '<meter id="quota-meter"' in page.text


async def test_list_is_paged_and_sorted(signed_in: Web) -> None:
    folder = await _fill(signed_in, 60)
    client = signed_in.client
    first = await client.get(f"/mail/f/{folder}")
    assert _subjects(first.text)[:2] == ["Subject 059", "Subject 058"]
    assert len(_subjects(first.text)) == 50
    assert "1–50 of 60" in first.text
    second = await client.get(f"/mail/f/{folder}?page=2")
    assert _subjects(second.text) == [f"Subject {i:03d}" for i in range(9, -1, -1)]
    by_subject = await client.get(f"/mail/f/{folder}?sort=subject")
    assert _subjects(by_subject.text)[0] == "Subject 000"
    by_size = await client.get(f"/mail/f/{folder}?sort=size&desc=1")
    assert "Subject 050" in _subjects(by_size.text)[:6]  # those with an attachment first
    rows = await client.get(f"/mail/f/{folder}/rows?page=2")
    assert rows.status_code == 200 and "<html" not in rows.text
    assert _subjects(rows.text)[0] == "Subject 009"


async def test_actions_on_selected_messages(signed_in: Web) -> None:
    folder = await _fill(signed_in, 4)
    mail, ann = signed_in.services.mail, signed_in.ann.id
    refs = [f"{folder}:1", f"{folder}:2"]
    assert (await act(signed_in, "read", refs))["count"] == 2
    assert all("\\Seen" in r.flags for r in await mail.messages(ann, folder, [1, 2]))
    await act(signed_in, "unread", refs[:1])
    assert "\\Seen" not in (await mail.messages(ann, folder, [1]))[0].flags
    await act(signed_in, "flag", refs[1:])
    assert "\\Flagged" in (await mail.messages(ann, folder, [2]))[0].flags
    result = await act(signed_in, "move", [f"{folder}:3"], dest="Archive")
    assert result["message"] == "1 message moved to Archive."
    archive = await mail.get_folder(ann, "Archive")
    assert len(await mail.messages(ann, archive.id)) == 1
    await act(signed_in, "junk", [f"{folder}:4"])
    junk = await mail.get_folder(ann, "Junk")
    junk_rows = await mail.messages(ann, junk.id)
    assert len(junk_rows) == 1 and "$Junk" in junk_rows[0].flags


async def test_delete_moves_to_trash_and_deletes_for_good_there(signed_in: Web) -> None:
    folder = await _fill(signed_in, 2)
    mail, ann = signed_in.services.mail, signed_in.ann.id
    await act(signed_in, "delete", [f"{folder}:1", f"{folder}:2"])
    trash = await mail.get_folder(ann, "Trash")
    assert len(await mail.messages(ann, trash.id)) == 2
    assert await mail.messages(ann, folder) == []
    result = await act(signed_in, "delete", [f"{trash.id}:1"])
    assert result["message"] == "1 message deleted."
    assert [r.uid for r in await mail.messages(ann, trash.id)] == [2]


async def test_star_toggles_one_message(signed_in: Web) -> None:
    folder = await _fill(signed_in, 1)
    page = await signed_in.client.get(f"/mail/f/{folder}")
    assert f'name="toggle" value="flag:{folder}:1"' in page.text
    await signed_in.client.post("/mail/messages", data={
        "csrf": csrf_of(page.text), "toggle": f"flag:{folder}:1"})
    rows = await signed_in.services.mail.messages(signed_in.ann.id, folder)
    assert "\\Flagged" in rows[0].flags


async def test_search_by_text_sender_attachment_and_date(signed_in: Web) -> None:
    await _fill(signed_in, 30)
    client = signed_in.client
    body = await client.get("/mail/search?q=number+17&in=all")
    assert _subjects(body.text) == ["Subject 017"]
    sender = await client.get("/mail/search?from=%3Cs2")
    assert sorted(_subjects(sender.text)) == ["Subject 002"] + [f"Subject {i:03d}"
                                                                for i in range(20, 30)]
    attached = await client.get("/mail/search?attachment=1")
    assert sorted(_subjects(attached.text)) == ["Subject 000", "Subject 010", "Subject 020"]
    day = await client.get("/mail/search?since=2026-01-02&until=2026-01-02")
    assert sorted(_subjects(day.text)) == [f"Subject {i:03d}" for i in range(24, 30)]
    assert "6 messages found" in day.text
    nothing = await client.get("/mail/search?q=zebra")
    assert "Nothing matches your search." in nothing.text


async def test_search_in_one_folder(signed_in: Web) -> None:
    folder = await _fill(signed_in, 2)
    await act(signed_in, "move", [f"{folder}:1"], dest="Archive")
    archive = await signed_in.services.mail.get_folder(signed_in.ann.id, "Archive")
    inbox_only = await signed_in.client.get(f"/mail/search?q=body&in={folder}")
    assert _subjects(inbox_only.text) == ["Subject 001"]
    everywhere = await signed_in.client.get("/mail/search?q=body&in=all")
    assert sorted(_subjects(everywhere.text)) == ["Subject 000", "Subject 001"]
    assert (await signed_in.client.get(f"/mail/search?q=body&in={archive.id}")).status_code == 200
