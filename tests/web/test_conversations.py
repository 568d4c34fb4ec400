"""The web mail's conversation view: one line per conversation, the toggle, opening a
conversation, actions on whole conversations, and scoping to the signed-in account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from postroom.store.records import Target
from postroom.store.userdata import SettingName, UserData
from tests.unit.store.test_conversations import mail
from tests.web.conftest import Web, act, csrf_of

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def _deliver(web: Web, raw: bytes, minutes: int, folder: str = "INBOX",
                   account_id: int | None = None) -> None:
    outcome = (await web.services.mail.deliver(
        raw, [Target(account_id or web.ann.id, folder)],
        internal_date=START + timedelta(minutes=minutes)))[0]
    assert outcome.result is not None


async def _thread(web: Web) -> tuple[int, int]:
    """Three messages of "Field trip" (one of them Ann's reply in Sent) and one other."""
    await _deliver(web, mail("t1", "Field trip", body="Shall we go on Friday?\n"), 0)
    await _deliver(web, mail("t2", "Re: Field trip", in_reply_to="t1",
                             sender="Ann <ann@example.org>", body="Friday works.\n"), 1, "Sent")
    await _deliver(web, mail("t3", "Re: Field trip", references="t1 t2",
                             sender="Cy <cy@example.net>", body="Count me in.\n"), 2)
    await _deliver(web, mail("t4", "Re: Field trip", in_reply_to="t3",
                             body="Bus is booked.\n"), 3)
    await _deliver(web, mail("o1", "Canteen menu", body="Soup.\n"), 4)
    inbox = await web.services.mail.get_folder(web.ann.id, "INBOX")
    rows = await web.services.mail.messages(web.ann.id, inbox.id)
    return inbox.id, rows[0].conversation_id


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="message-row[^"]*"[^>]*data-ref="([^"]+)"', html)


async def test_a_conversation_is_one_row_with_its_count(signed_in: Web) -> None:
    inbox, conv = await _thread(signed_in)
    page = await signed_in.client.get(f"/mail/f/{inbox}")
    assert _rows(page.text) == [f"{inbox}:4", f"{inbox}:c{conv}"]  # the canteen is newest
    assert "2 conversations" in page.text
    assert '<span class="thread-count" aria-hidden="true">3</span>' in page.text
    assert f'href="/mail/c/{inbox}/{conv}"' in page.text
    assert "Bob, Cy" in page.text  # the senders in the folder
    assert re.search(r'aria-pressed="true"[^>]*>Conversations <span class="toggle-state" '
                     r'aria-hidden="true">on</span>', page.text)
    rows = await signed_in.client.get(f"/mail/f/{inbox}/rows")  # the live refresh
    assert _rows(rows.text) == _rows(page.text)


async def test_the_toggle_switches_to_single_messages_and_back(signed_in: Web) -> None:
    inbox, _conv = await _thread(signed_in)
    client = signed_in.client
    page = await client.get(f"/mail/f/{inbox}")
    refused = await client.post("/mail/conversations", data={"on": "0"})
    assert refused.status_code == 403  # no CSRF token
    off = await client.post("/mail/conversations", data={
        "csrf": csrf_of(page.text), "on": "0", "next": f"/mail/f/{inbox}"})
    assert off.status_code == 303 and off.headers["location"] == f"/mail/f/{inbox}"
    flat = await client.get(f"/mail/f/{inbox}")
    assert _rows(flat.text) == [f"{inbox}:{uid}" for uid in (4, 3, 2, 1)]
    assert "4 messages" in flat.text and 'aria-hidden="true">off</span>' in flat.text
    await client.post("/mail/conversations", data={"csrf": csrf_of(page.text), "on": "1"})
    assert len(_rows((await client.get(f"/mail/f/{inbox}")).text)) == 2


async def test_opening_a_conversation_shows_it_across_folders(signed_in: Web) -> None:
    inbox, conv = await _thread(signed_in)
    await _deliver(signed_in, mail("t5", "Re: Field trip", in_reply_to="t4",
                                   body="Deleted reply.\n"), 5, "Trash")
    page = await signed_in.client.get(f"/mail/c/{inbox}/{conv}")
    assert page.status_code == 200
    bodies = re.findall(r'<div class="plain-body">([^<]*)', page.text)
    assert [b.split("\n")[0] for b in bodies] == ["Shall we go on Friday?", "Friday works.",
                                                  "Count me in.", "Bus is booked."]
    assert "Deleted reply." not in page.text  # Trash is left out
    assert page.text.count("<details class=\"conversation-message\" open") == 1
    assert f'<details class="conversation-message" open id="msg-{inbox}-3"' in page.text
    assert '<span class="in-folder">Sent</span>' in page.text
    assert f'value="{inbox}:c{conv}"' in page.text  # actions name the conversation
    rows = await signed_in.services.mail.messages(signed_in.ann.id, inbox)
    assert all("\\Seen" in r.flags for r in rows if r.conversation_id == conv)
    assert "\\Seen" not in next(r for r in rows if r.conversation_id != conv).flags


async def test_actions_apply_to_every_message_of_the_conversation_in_the_folder(
        signed_in: Web) -> None:
    inbox, conv = await _thread(signed_in)
    mail_store, ann = signed_in.services.mail, signed_in.ann.id
    assert (await act(signed_in, "read", [f"{inbox}:c{conv}"]))["count"] == 3
    flagged = await signed_in.client.post("/mail/messages", data={
        "csrf": csrf_of((await signed_in.client.get(f"/mail/f/{inbox}")).text),
        "toggle": f"flag:{inbox}:c{conv}"}, headers={"accept": "application/json"})
    assert flagged.json()["count"] == 3
    rows = {r.uid: r for r in await mail_store.messages(ann, inbox)}
    assert all({"\\Seen", "\\Flagged"} <= rows[uid].flags for uid in (1, 2, 3))
    assert not rows[4].flags
    moved = await act(signed_in, "move", [f"{inbox}:c{conv}", f"{inbox}:4"], dest="Archive")
    assert moved["message"] == "4 messages moved to Archive."
    assert await mail_store.messages(ann, inbox) == []
    sent = await mail_store.get_folder(ann, "Sent")
    assert len(await mail_store.messages(ann, sent.id)) == 1  # only this folder's messages
    archive = await mail_store.get_folder(ann, "Archive")
    assert {r.conversation_id for r in await mail_store.messages(ann, archive.id)} >= {conv}
    deleted = await act(signed_in, "delete", [f"{archive.id}:c{conv}"])
    assert deleted["count"] == 3


async def test_conversations_of_another_account_are_out_of_reach(signed_in: Web) -> None:
    web = signed_in
    await _deliver(web, mail("b1", "Payroll"), 0, account_id=web.bob.id)
    await _deliver(web, mail("b2", "Re: Payroll", in_reply_to="b1",
                             body="Salaries attached.\n"), 1, account_id=web.bob.id)
    bob_inbox = (await web.services.mail.get_folder(web.bob.id, "INBOX")).id
    bob_conv = (await web.services.mail.messages(web.bob.id, bob_inbox))[0].conversation_id
    ann_inbox, _ = await _thread(web)
    for url in (f"/mail/c/{bob_inbox}/{bob_conv}", f"/mail/c/{ann_inbox}/{bob_conv}"):
        response = await web.client.get(url)
        assert response.status_code == 404, url
        assert "Salaries" not in response.text and "Payroll" not in response.text
    for ref in (f"{bob_inbox}:c{bob_conv}", f"{ann_inbox}:c{bob_conv}"):
        result = await act(web, "delete", [ref])
        assert not result.get("count"), ref
    rows = await web.services.mail.messages(web.bob.id, bob_inbox)
    assert [(r.uid, r.flags) for r in rows] == [(1, frozenset()), (2, frozenset())]


async def test_drafts_and_searches_stay_flat(signed_in: Web) -> None:
    await _thread(signed_in)
    await _deliver(signed_in, mail("d1", "Re: Field trip", in_reply_to="t4"), 6, "Drafts")
    drafts = await signed_in.services.mail.get_folder(signed_in.ann.id, "Drafts")
    page = await signed_in.client.get(f"/mail/f/{drafts.id}")
    assert _rows(page.text) == [f"{drafts.id}:1"]
    found = await signed_in.client.get("/mail/search?q=trip&in=all")
    assert len(_rows(found.text)) == 5


async def test_the_setting_defaults_to_on_and_is_per_user(signed_in: Web) -> None:
    userdata = UserData(signed_in.services.db)
    assert await userdata.setting(signed_in.ann.id, SettingName.CONVERSATIONS, True) is True
    await userdata.set_setting(signed_in.bob.id, SettingName.CONVERSATIONS, False)
    inbox, _ = await _thread(signed_in)
    assert len(_rows((await signed_in.client.get(f"/mail/f/{inbox}")).text)) == 2
