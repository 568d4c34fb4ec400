"""Settings, folders and the address book through the web mail."""

from __future__ import annotations

from datetime import date

from postroom.store import directory
from postroom.store.userdata import FilterAction, PersonalSettings, UserData
from postroom.store.websessions import WebSessions
from postroom.web.security import SESSION_COOKIE
from tests.factories import PASSWORD
from tests.web.conftest import Web, client_for, csrf_of


async def personal(data: UserData, account_id: int, day: date | None = None) -> PersonalSettings:
    """What delivery reads for one account (``UserData.delivery_settings``)."""
    return (await data.delivery_settings([account_id], day))[account_id]



async def _csrf(web: Web, url: str = "/mail/settings/account") -> str:
    return csrf_of((await web.client.get(url)).text)


async def test_password_change_needs_the_current_password_and_rotates(signed_in: Web) -> None:
    client = signed_in.client
    csrf = await _csrf(signed_in)
    other = client_for(signed_in.app)
    await signed_in.sign_in(client=other)
    wrong = await client.post("/mail/settings/password", data={
        "csrf": csrf, "current": "wrong", "new": "a new long password", "again":
        "a new long password"})
    assert "Your current password is not right." in (await client.get(
        wrong.headers["location"])).text
    old = client.cookies[SESSION_COOKIE]
    done = await client.post("/mail/settings/password", data={
        "csrf": csrf, "current": PASSWORD, "new": "a new long password",
        "again": "a new long password"})
    assert done.status_code == 303
    assert client.cookies[SESSION_COOKIE] != old
    assert (await client.get("/mail/settings/account")).status_code == 200
    assert (await other.get("/mail/settings/account")).status_code == 303  # signed out
    assert await WebSessions(signed_in.services.db).find(old) is None
    await other.aclose()
    await signed_in.services.tenancy.auth.login("ann@example.org", "a new long password")


async def test_profile_signature_and_format(signed_in: Web) -> None:
    csrf = await _csrf(signed_in)
    await signed_in.client.post("/mail/settings/profile", data={
        "csrf": csrf, "display_name": "Ann Example", "signature": "Ann\r\nLibrary",
        "compose_format": "text"})
    account = await signed_in.services.tenancy.accounts.get("ann@example.org")
    assert account.display_name == "Ann Example"
    data = signed_in.app.state.webmail.userdata
    assert await data.signature(account.id) == "Ann\nLibrary"
    page = await signed_in.client.get("/mail/compose")
    assert 'data-rich="false"' in page.text


async def test_vacation_and_forwarding_are_stored_for_delivery(signed_in: Web) -> None:
    csrf = await _csrf(signed_in, "/mail/settings/away")
    client = signed_in.client
    response = await client.post("/mail/settings/vacation", data={
        "csrf": csrf, "enabled": "1", "start": "2026-07-01", "end": "2026-07-14",
        "subject": "Away", "body": "Back on the 15th."})
    assert response.status_code == 303
    bad = await client.post("/mail/settings/vacation", data={
        "csrf": csrf, "enabled": "1", "start": "2026-07-14", "end": "2026-07-01",
        "body": "x"}, headers={"accept": "application/json"})
    assert bad.json()["message"] == "the vacation reply cannot end before it starts"
    await client.post("/mail/settings/forwarding", data={
        "csrf": csrf, "enabled": "1", "address": "ann@home.example", "keep_copy": "1"})
    prefs = signed_in.app.state.webmail.preferences
    rules = await prefs.delivery_rules(signed_in.ann)
    assert rules.forwarding is not None and rules.forwarding.address == "ann@home.example"
    data = signed_in.app.state.webmail.userdata
    vacation = (await personal(data, signed_in.ann.id, date(2026, 7, 2))).vacation
    assert vacation is not None and vacation.body == "Back on the 15th."
    assert (await personal(data, signed_in.ann.id, date(2026, 7, 15))).vacation is None


async def test_forwarding_refused_when_the_organisation_forbids_it(signed_in: Web) -> None:
    org = await signed_in.services.tenancy.organisations.get_by_id(
        signed_in.ann.organisation_id)
    async with signed_in.services.db.write() as conn:
        await directory.update_organisation(conn, org.id, allow_forwarding=False)
    page = await signed_in.client.get("/mail/settings/away")
    assert "does not allow forwarding" in page.text
    response = await signed_in.client.post("/mail/settings/forwarding", data={
        "csrf": csrf_of(page.text), "enabled": "1", "address": "x@example.net"},
        headers={"accept": "application/json"})
    assert response.json()["message"] == "your organisation does not allow forwarding"


async def test_filters_are_added_toggled_and_deleted(signed_in: Web) -> None:
    csrf = await _csrf(signed_in, "/mail/settings/filters")
    client = signed_in.client
    await client.post("/mail/settings/filters", data={
        "csrf": csrf, "field": "from", "contains": "newsletter", "action": "move",
        "folder": "Archive"})
    await client.post("/mail/settings/filters", data={
        "csrf": csrf, "field": "subject", "contains": "[spam]", "action": "delete"})
    data = signed_in.app.state.webmail.userdata
    filters = list((await personal(data, signed_in.ann.id)).filters)
    assert [(f.contains, f.action, f.argument) for f in filters] == [
        ("newsletter", FilterAction.MOVE, "Archive"), ("[spam]", FilterAction.DELETE, "")]
    await client.post(f"/mail/settings/filters/{filters[0].id}/enable",
                      data={"csrf": csrf, "on": "0"})
    assert len(list((await personal(data, signed_in.ann.id)).filters)) == 1
    await client.post(f"/mail/settings/filters/{filters[1].id}/delete", data={"csrf": csrf})
    assert list((await personal(data, signed_in.ann.id)).filters) == []


async def test_folders_are_created_renamed_subscribed_and_deleted(signed_in: Web) -> None:
    csrf = await _csrf(signed_in, "/mail/folders")
    client, mail, ann = signed_in.client, signed_in.services.mail, signed_in.ann.id
    await client.post("/mail/folders/create", data={"csrf": csrf, "name": "Projects"})
    await client.post("/mail/folders/create", data={"csrf": csrf, "name": "Alpha",
                                                      "parent": "Projects"})
    alpha = await mail.get_folder(ann, "Projects/Alpha")
    await client.post(f"/mail/folders/{alpha.id}/rename", data={"csrf": csrf,
                                                                 "name": "Projects/Beta"})
    beta = await mail.get_folder(ann, "Projects/Beta")
    assert beta.id == alpha.id
    await client.post(f"/mail/folders/{beta.id}/subscribe", data={"csrf": csrf, "on": "0"})
    assert not (await mail.get_folder(ann, "Projects/Beta")).subscribed
    await client.post(f"/mail/folders/{beta.id}/delete", data={"csrf": csrf})
    assert "Projects/Beta" not in [f.name for f in await mail.list_folders(ann)]
    trash = await mail.get_folder(ann, "Trash")
    refused = await client.post(f"/mail/folders/{trash.id}/delete", data={"csrf": csrf},
                                headers={"accept": "application/json"})
    assert refused.status_code == 400
    assert "Trash" in [f.name for f in await mail.list_folders(ann)]


VCARDS = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carol Jones\r\nN:Jones;Carol;;;\r\n"
          b"EMAIL;TYPE=INTERNET:Carol@Example.NET\r\nTEL:+44 20 7946 0000\r\n"
          b"NOTE:met at the\\, conference\\nsecond line\r\nEND:VCARD\r\n"
          b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:No Mail\r\nEND:VCARD\r\n"
          b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Dan\r\n folded\r\nEMAIL:dan@example.org\r\n"
          b"END:VCARD\r\n")


async def test_contacts_import_and_export(signed_in: Web) -> None:
    csrf = await _csrf(signed_in, "/mail/contacts")
    client = signed_in.client
    response = await client.post("/mail/contacts-import", data={"csrf": csrf},
                                 files={"file": ("book.vcf", VCARDS, "text/vcard")},
                                 headers={"accept": "application/json"})
    assert response.json()["message"] == "2 contacts imported."
    csv_file = (b"First Name,Last Name,E-mail Address,Phone\r\n"
                b"Eve,Evans,eve@example.net,123\r\n,,not-an-address,\r\n"
                b"=cmd,,formula@example.net,\r\n")
    response = await client.post("/mail/contacts-import", data={"csrf": csrf},
                                 files={"file": ("book.csv", csv_file, "text/csv")},
                                 headers={"accept": "application/json"})
    assert response.json()["message"] == "2 contacts imported."
    contacts = await signed_in.app.state.webmail.userdata.contacts(signed_in.ann.id)
    assert [(c.name, c.email) for c in contacts] == [
        ("=cmd", "formula@example.net"), ("Carol Jones", "carol@example.net"),
        ("Danfolded", "dan@example.org"), ("Eve Evans", "eve@example.net")]
    assert contacts[1].notes == "met at the, conference\nsecond line"
    vcf = await client.get("/mail/contacts-export.vcf")
    assert vcf.headers["content-disposition"] == 'attachment; filename="contacts.vcf"'
    assert "EMAIL;TYPE=INTERNET:carol@example.net" in vcf.text
    assert "NOTE:met at the\\, conference\\nsecond line" in vcf.text
    exported = await client.get("/mail/contacts-export.csv")
    assert "'=cmd,formula@example.net" in exported.text  # no formula for spreadsheets
    assert exported.headers["x-content-type-options"] == "nosniff"


async def test_contact_add_edit_delete(signed_in: Web) -> None:
    csrf = await _csrf(signed_in, "/mail/contacts")
    client = signed_in.client
    data = signed_in.app.state.webmail.userdata
    await client.post("/mail/contacts", data={"csrf": csrf, "name": "Fay",
                                              "email": "fay@example.net"})
    fay = (await data.contacts(signed_in.ann.id))[0]
    await client.post(f"/mail/contacts/{fay.id}", data={"csrf": csrf, "name": "Fay Field",
                                                         "email": "fay@example.net",
                                                         "phone": "1"})
    assert (await data.get_contact(signed_in.ann.id, fay.id)).name == "Fay Field"
    await client.post(f"/mail/contacts/{fay.id}/delete", data={"csrf": csrf})
    assert await data.contacts(signed_in.ann.id) == []
    bad = await client.post("/mail/contacts", data={"csrf": csrf, "email": "nope"},
                            headers={"accept": "application/json"})
    assert bad.status_code == 400
