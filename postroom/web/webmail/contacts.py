"""The address book: list, add, edit, delete, import (vCard, CSV) and export.

Purpose: the contacts that address completion offers first (``compose.addresses``),
kept per account in ``store.userdata``.

Invariants: contacts are addressed by id within the signed-in account; imports are
bounded (``vcard.MAX_INPUT``, ``userdata.MAX_CONTACTS``); exports are downloads
(``Content-Disposition: attachment``, ``nosniff``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from postroom.errors import Invalid
from postroom.mail.addresses import canonical_address
from postroom.store.userdata import NewContact
from postroom.web.security import DOWNLOAD_HEADERS, content_disposition
from postroom.web.webmail import vcard
from postroom.web.webmail.context import User, Webmail


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._
    data = webmail.userdata

    def contact_from(form: object) -> NewContact:
        get = form.get  # type: ignore[attr-defined]
        email = str(get("email") or "").strip()
        try:
            email = canonical_address(email)
        except Invalid:
            raise Invalid(_("'%(email)s' is not a valid e-mail address.", email=email)) from None
        return NewContact(str(get("name") or ""), email, str(get("phone") or ""),
                          str(get("notes") or ""))

    @router.get("/contacts")
    async def contacts(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        q = request.query_params.get("q", "")[:100]
        return await webmail.page(request, user, "webmail/contacts.html", {
            "contacts": await data.contacts(user.id, q), "q": q})

    @router.post("/contacts")
    async def add(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        try:
            contact = contact_from(form)
        except Invalid as exc:
            return webmail.done(request, "/mail/contacts", exc.message, error=True)
        await data.save_contacts(user.id, [contact])
        return webmail.done(request, "/mail/contacts",
                            _("%(who)s is in your contacts.", who=contact.name or contact.email))

    @router.get("/contacts/{contact_id}")
    async def edit(request: Request, contact_id: int,
                   user: User = Depends(webmail.current_user)) -> Response:
        contact = await data.get_contact(user.id, contact_id)
        return await webmail.page(request, user, "webmail/contact_edit.html",
                                  {"contact": contact})

    @router.post("/contacts/{contact_id}")
    async def update(request: Request, contact_id: int,
                     user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        try:
            await data.update_contact(user.id, contact_id, contact_from(form))
        except Invalid as exc:
            return webmail.done(request, f"/mail/contacts/{contact_id}", exc.message, error=True)
        return webmail.done(request, "/mail/contacts", _("Contact saved."))

    @router.post("/contacts/{contact_id}/delete")
    async def delete(request: Request, contact_id: int,
                     user: User = Depends(webmail.current_user)) -> Response:
        await webmail.form(request, user)
        await data.delete_contact(user.id, contact_id)
        return webmail.done(request, "/mail/contacts", _("Contact deleted."))

    @router.post("/contacts-import")
    async def import_contacts(request: Request,
                              user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return webmail.done(request, "/mail/contacts", _("Choose a file to import."),
                                error=True)
        raw = await upload.read(vcard.MAX_INPUT + 1)
        found = vcard.parse_any(upload.filename or "", raw)
        if not found:
            return webmail.done(request, "/mail/contacts", _(
                "No contacts with an e-mail address were found in that file."), error=True)
        saved = await data.save_contacts(user.id, found)
        return webmail.done(request, "/mail/contacts", webmail.translations.ngettext(
            "%(n)d contact imported.", "%(n)d contacts imported.", saved) % {"n": saved})

    @router.get("/contacts-export.vcf")
    async def export_vcf(user: User = Depends(webmail.current_user)) -> Response:
        body = vcard.to_vcards(await data.contacts(user.id))
        return Response(body, media_type="text/vcard; charset=utf-8", headers={
            **DOWNLOAD_HEADERS, "Content-Disposition": content_disposition("contacts.vcf")})

    @router.get("/contacts-export.csv")
    async def export_csv(user: User = Depends(webmail.current_user)) -> Response:
        body = vcard.to_csv(await data.contacts(user.id))
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            **DOWNLOAD_HEADERS, "Content-Disposition": content_disposition("contacts.csv")})

    return router
