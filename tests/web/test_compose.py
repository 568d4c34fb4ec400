"""Writing: replies and forwards, drafts in the Drafts folder, attachments, identities,
address completion, and sending through the delivery package's submission path."""

from __future__ import annotations

import email
import re
from collections.abc import AsyncIterator
from email import policy
from html import unescape

import pytest

from postroom.delivery import build_delivery
from postroom.mail.summary import MessageSummary
from postroom.store.records import Target
from postroom.store.userdata import NewContact, SettingName
from postroom.web.app import create_app
from tests.factories import PASSWORD, make_message
from tests.web.conftest import Web, client_for, csrf_of, sign_in


@pytest.fixture
async def sender(web: Web) -> AsyncIterator[Web]:
    """``web`` whose app sends through a real ``Submitter`` (local delivery + queue)."""
    delivery = build_delivery(web.services.settings, web.services.tenancy, web.services.mail)
    app = create_app(web.services.tenancy, web.services.mail, web.services.secret_key,
                     dev=True, submit=delivery.submitter.submit)
    async with client_for(app) as client:
        signed = Web(web.services, app, client, web.ann, web.bob)
        assert (await sign_in(client, "ann@example.org", PASSWORD)).status_code == 303
        yield signed
    await delivery.close()


async def _original(web: Web) -> tuple[int, int]:
    raw = make_message("Planning", "Can we meet on Friday?\n",
                       sender="Bob <bob@example.org>", to="ann@example.org",
                       attachment=b"agenda bytes")
    raw = raw.replace(b"To: ann@example.org", b"To: ann@example.org\r\nCc: carl@example.net")
    await web.services.mail.deliver(raw, [Target(web.ann.id)])
    return (await web.services.mail.get_folder(web.ann.id, "INBOX")).id, 1


def _value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def _form(html: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {name: _value(html, name) for name in (
        "csrf", "draft", "reply_ref", "in_reply_to", "references", "to", "cc", "bcc",
        "subject")}
    data["from"] = "ann@example.org"
    data["keep"] = re.findall(r'name="keep" value="([^"]+)"', html)
    body = re.search(r'<textarea id="c-body" name="body_text" rows="16">(.*?)</textarea>', html,
                     re.S)
    data["body_text"] = unescape(body.group(1)) if body else ""
    data["format"] = "text"
    data.update(changes)
    return data


async def test_reply_and_reply_all_prefill(signed_in: Web) -> None:
    folder, uid = await _original(signed_in)
    reply = await signed_in.client.get(f"/mail/compose?reply={folder}:{uid}")
    assert _value(reply.text, "to") == "Bob <bob@example.org>"
    assert _value(reply.text, "subject") == "Re: Planning"
    assert _value(reply.text, "in_reply_to").startswith("<")
    assert "wrote:\n&gt; Can we meet on Friday?" in reply.text
    everyone = await signed_in.client.get(f"/mail/compose?replyall={folder}:{uid}")
    assert _value(everyone.text, "cc") == "carl@example.net"  # not ann herself


async def test_drafts_are_saved_replaced_and_reopened(signed_in: Web) -> None:
    mail, ann = signed_in.services.mail, signed_in.ann.id
    drafts = await mail.get_folder(ann, "Drafts")
    page = await signed_in.client.get("/mail/compose")
    form = _form(page.text, to="Zoë <zoe@example.net>", subject="Lunch", body_text="Soup?")
    first = await signed_in.client.post("/mail/compose/save", data=form,
                                        headers={"accept": "application/json"})
    assert first.json()["ok"]
    form["draft"] = str(first.json()["draft"])
    form["body_text"] = "Soup or salad?"
    second = await signed_in.client.post(
        "/mail/compose/save", data=form, files={"files": ("menu.txt", b"soup\n", "text/plain")},
        headers={"accept": "application/json"})
    rows = await mail.messages(ann, drafts.id)
    assert [r.uid for r in rows] == [second.json()["draft"]]
    assert {"\\Draft", "\\Seen"} <= rows[0].flags
    assert [a["name"] for a in second.json()["attachments"]] == ["menu.txt"]
    reopened = await signed_in.client.get(f"/mail/compose?draft={rows[0].uid}")
    assert "Soup or salad?" in reopened.text
    assert _value(reopened.text, "to") == "Zoë <zoe@example.net>"
    assert re.findall(r'name="keep" value="([^"]+)"', reopened.text) == [
        f"{drafts.id}:{rows[0].uid}:2"]
    # Opening the draft from the Drafts folder goes to the editor.
    opened = await signed_in.client.get(f"/mail/m/{drafts.id}/{rows[0].uid}")
    assert opened.headers["location"] == f"/mail/compose?draft={rows[0].uid}"


async def test_forward_carries_the_attachments(signed_in: Web) -> None:
    folder, uid = await _original(signed_in)
    page = await signed_in.client.get(f"/mail/compose?forward={folder}:{uid}")
    assert _value(page.text, "subject") == "Fwd: Planning"
    assert "---------- Forwarded message ----------" in page.text
    saved = await signed_in.client.post("/mail/compose/save", data=_form(page.text),
                                        headers={"accept": "application/json"})
    assert [a["name"] for a in saved.json()["attachments"]] == ["data.bin"]


async def test_forward_as_attachment(signed_in: Web) -> None:
    folder, uid = await _original(signed_in)
    page = await signed_in.client.get(f"/mail/compose?attach={folder}:{uid}")
    assert re.findall(r'name="keep" value="([^"]+)"', page.text) == [f"{folder}:{uid}:whole"]
    saved = await signed_in.client.post("/mail/compose/save", data=_form(page.text),
                                        headers={"accept": "application/json"})
    assert saved.json()["attachments"][0]["type"] == "message/rfc822"


async def test_send_delivers_and_keeps_a_sent_copy(sender: Web) -> None:
    mail = sender.services.mail
    folder, uid = await _original(sender)
    page = await sender.client.get(f"/mail/compose?reply={folder}:{uid}")
    saved = await sender.client.post("/mail/compose/save", data=_form(page.text),
                                     headers={"accept": "application/json"})
    form = _form(page.text, draft=str(saved.json()["draft"]), body_text="Friday works.")
    response = await sender.client.post("/mail/compose/send", data=form)
    assert response.status_code == 303
    inbox = await sender.client.get(response.headers["location"])
    assert "Your message was sent." in inbox.text
    bob_inbox = await mail.get_folder(sender.bob.id, "INBOX")
    rows = await mail.messages(sender.bob.id, bob_inbox.id)
    raw = await mail.read_message(rows[-1])
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Re: Planning"
    assert parsed["In-Reply-To"]
    assert "Friday works." in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "DKIM-Signature" in parsed
    sent = await mail.get_folder(sender.ann.id, "Sent")
    assert len(await mail.messages(sender.ann.id, sent.id)) == 1
    drafts = await mail.get_folder(sender.ann.id, "Drafts")
    assert await mail.messages(sender.ann.id, drafts.id) == []
    original = await mail.messages(sender.ann.id, folder, [uid])
    assert "\\Answered" in original[0].flags


async def test_send_with_rich_text_and_bcc(sender: Web) -> None:
    page = await sender.client.get("/mail/compose")
    form = _form(page.text, to="", bcc="bob@example.org", subject="Rich", format="html",
                 body_html='<p>Hello <b>Bob</b><script>alert(1)</script></p>', body_text="")
    assert (await sender.client.post("/mail/compose/send", data=form)).status_code == 303
    mail = sender.services.mail
    bob_inbox = await mail.get_folder(sender.bob.id, "INBOX")
    raw = await mail.read_message((await mail.messages(sender.bob.id, bob_inbox.id))[-1])
    assert b"Bcc:" not in raw and b"<script" not in raw
    parsed = email.message_from_bytes(raw, policy=policy.default)
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<b>Bob</b>" in html
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Bob" in text


async def test_send_errors_are_explained_and_the_draft_is_kept(sender: Web) -> None:
    page = await sender.client.get("/mail/compose")
    form = _form(page.text, to="nobody@example.org", subject="Hi", body_text="x")
    response = await sender.client.post("/mail/compose/send", data=form,
                                        headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == \
        "There is no mailbox for nobody@example.org. Check the address."
    bad = await sender.client.post("/mail/compose/send", data=_form(
        page.text, to="not an address", subject="x"), headers={"accept": "application/json"})
    assert "is not a valid e-mail address" in bad.json()["message"]
    forged = await sender.client.post("/mail/compose/send", data=_form(
        page.text, to="bob@example.org", **{"from": "boss@example.org"}),
        headers={"accept": "application/json"})
    assert forged.json()["message"] == "You can only send from your own addresses."
    drafts = await sender.services.mail.get_folder(sender.ann.id, "Drafts")
    assert len(await sender.services.mail.messages(sender.ann.id, drafts.id)) >= 1


async def test_without_a_submission_path_the_message_stays_a_draft(signed_in: Web) -> None:
    page = await signed_in.client.get("/mail/compose")
    response = await signed_in.client.post("/mail/compose/send", data=_form(
        page.text, to="bob@example.org", subject="x"), headers={"accept": "application/json"})
    assert "Sending is not available" in response.json()["message"]
    bob_inbox = await signed_in.services.mail.get_folder(signed_in.bob.id, "INBOX")
    assert await signed_in.services.mail.messages(signed_in.bob.id, bob_inbox.id) == []


async def test_signature_is_added(signed_in: Web) -> None:
    await signed_in.app.state.webmail.userdata.set_setting(
        signed_in.ann.id, SettingName.SIGNATURE, "Ann\nExample College")
    page = await signed_in.client.get("/mail/compose")
    assert "-- \nAnn\nExample College" in page.text


async def test_address_completion_from_contacts_and_correspondents(signed_in: Web) -> None:
    await signed_in.app.state.webmail.userdata.save_contacts(
        signed_in.ann.id, [NewContact("Carol Jones", "carol@example.net")])
    await _original(signed_in)
    found = (await signed_in.client.get("/mail/addresses?q=car")).json()
    assert found[0] == {"name": "Carol Jones", "address": "carol@example.net",
                        "value": "Carol Jones <carol@example.net>"}
    heard_from = (await signed_in.client.get("/mail/addresses?q=bob")).json()
    assert heard_from[0]["address"] == "bob@example.org"


async def test_draft_attachment_summary_is_valid(signed_in: Web) -> None:
    page = await signed_in.client.get("/mail/compose")
    saved = await signed_in.client.post(
        "/mail/compose/save", data=_form(page.text, subject="Résumé ✓"),
        files={"files": ("naïve.txt", "café\n".encode(), "text/plain")},
        headers={"accept": "application/json"})
    drafts = await signed_in.services.mail.get_folder(signed_in.ann.id, "Drafts")
    detail = (await signed_in.services.mail.details(signed_in.ann.id, drafts.id,
                                                     [saved.json()["draft"]]))[0]
    summary = MessageSummary.from_json(detail.summary)
    assert summary.headers["subject"] == "Résumé ✓"
    assert summary.attachments[0].filename == "naïve.txt"
    assert csrf_of(page.text)
