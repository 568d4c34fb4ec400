"""Tenant scoping: a signed-in user who changes an id in a request reaches nothing of
another account's (every route that takes a message, folder, contact or filter id)."""

from __future__ import annotations

from postroom.store.records import Target
from postroom.store.userdata import FilterAction, FilterField, NewContact
from tests.factories import make_message
from tests.web.conftest import Web, csrf_of


async def _bobs_message(web: Web) -> tuple[int, int]:
    raw = make_message("Bob's secret", "The launch code is 1234.\n", attachment=b"secret")
    await web.services.mail.deliver(raw, [Target(web.bob.id)])
    inbox = await web.services.mail.get_folder(web.bob.id, "INBOX")
    return inbox.id, 1


async def test_reading_routes_do_not_reach_another_account(signed_in: Web) -> None:
    folder, uid = await _bobs_message(signed_in)
    client = signed_in.client
    for url in (f"/mail/m/{folder}/{uid}", f"/mail/m/{folder}/{uid}/frame",
                f"/mail/m/{folder}/{uid}/part/2", f"/mail/m/{folder}/{uid}/source",
                f"/mail/m/{folder}/{uid}/download", f"/mail/m/{folder}/{uid}/print",
                f"/mail/f/{folder}", f"/mail/f/{folder}/rows",
                f"/mail/search?q=launch&in={folder}",
                f"/mail/compose?reply={folder}:{uid}", f"/mail/compose?replyall={folder}:{uid}",
                f"/mail/compose?forward={folder}:{uid}", f"/mail/compose?attach={folder}:{uid}"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "launch code" not in response.text and "secret" not in response.text.lower(), url


async def test_search_in_all_folders_finds_only_own_mail(signed_in: Web) -> None:
    await _bobs_message(signed_in)
    response = await signed_in.client.get("/mail/search?q=launch&in=all")
    assert response.status_code == 200
    assert "Bob&#39;s secret" not in response.text and "Bob's secret" not in response.text


async def test_actions_do_not_reach_another_account(signed_in: Web) -> None:
    folder, uid = await _bobs_message(signed_in)
    client = signed_in.client
    page = await client.get("/mail", follow_redirects=True)
    csrf = csrf_of(page.text)
    for action in ("read", "flag", "delete", "move", "junk", "archive"):
        response = await client.post("/mail/messages", data={
            "csrf": csrf, "action": action, "msg": f"{folder}:{uid}", "dest": "Archive"},
            headers={"accept": "application/json"})
        assert response.status_code in (400, 404), action
    flagged = await client.post("/mail/messages", data={
        "csrf": csrf, "toggle": f"flag:{folder}:{uid}"}, headers={"accept": "application/json"})
    assert flagged.status_code in (400, 404)
    rows = await signed_in.services.mail.messages(signed_in.bob.id, folder)
    assert [(r.uid, r.flags) for r in rows] == [(uid, frozenset())]
    for path in (f"/mail/m/{folder}/{uid}/images", f"/mail/folders/{folder}/rename",
                 f"/mail/folders/{folder}/delete", f"/mail/folders/{folder}/subscribe"):
        response = await client.post(path, data={"csrf": csrf, "name": "Stolen", "on": "0"},
                                     headers={"accept": "application/json"})
        assert response.status_code in (400, 404), path
    names = [f.name for f in await signed_in.services.mail.list_folders(signed_in.bob.id)]
    assert "INBOX" in names and "Stolen" not in names


async def test_drafts_cannot_carry_another_accounts_attachments(signed_in: Web) -> None:
    folder, uid = await _bobs_message(signed_in)
    page = await signed_in.client.get("/mail/compose")
    response = await signed_in.client.post("/mail/compose/save", data={
        "csrf": csrf_of(page.text), "from": "ann@example.org", "to": "x@example.net",
        "subject": "steal", "body_text": "", "keep": [f"{folder}:{uid}:2",
                                                      f"{folder}:{uid}:whole"]},
        headers={"accept": "application/json"})
    assert response.status_code == 400
    drafts = await signed_in.services.mail.get_folder(signed_in.ann.id, "Drafts")
    assert await signed_in.services.mail.messages(signed_in.ann.id, drafts.id) == []


async def test_contacts_and_filters_are_per_account(signed_in: Web) -> None:
    data = signed_in.app.state.webmail.userdata
    await data.save_contacts(signed_in.bob.id, [NewContact("Carol", "carol@example.net")])
    bob_contact = (await data.contacts(signed_in.bob.id))[0]
    bob_filter = await data.add_filter(signed_in.bob.id, FilterField.FROM, "x",
                                       FilterAction.DELETE)
    client = signed_in.client
    assert (await client.get(f"/mail/contacts/{bob_contact.id}")).status_code == 404
    page = await client.get("/mail/contacts")
    assert "carol@example.net" not in page.text
    csrf = csrf_of(page.text)
    for path in (f"/mail/contacts/{bob_contact.id}", f"/mail/contacts/{bob_contact.id}/delete",
                 f"/mail/settings/filters/{bob_filter.id}/delete",
                 f"/mail/settings/filters/{bob_filter.id}/enable"):
        response = await client.post(path, data={"csrf": csrf, "email": "evil@example.net",
                                                  "on": "0"})
        assert response.status_code in (303, 404), path
    assert (await data.contacts(signed_in.bob.id))[0].email == "carol@example.net"
    assert (await data.filters(signed_in.bob.id))[0].enabled
    assert "carol" not in (await client.get("/mail/contacts-export.csv")).text
    assert "carol" not in (await client.get("/mail/addresses?q=car")).text
