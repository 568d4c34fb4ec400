"""Managing folders: create, rename, delete, subscribe.

Purpose: the folder page of the web mail, over the same ``MailStore`` folder methods
IMAP CREATE/RENAME/DELETE/SUBSCRIBE use, so naming rules (RFC 3501 6.3) are the store's.

Invariants: folders are addressed by id within the signed-in account; special-use
folders (Inbox, Sent, Drafts, Trash, Junk, Archive) are neither renamed nor deleted
here, so every client keeps finding them; every change is a CSRF-checked POST.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from postroom.errors import NotPermitted, PostroomError
from postroom.store.records import DELIMITER
from postroom.web.webmail.context import User, Webmail


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._
    mail = webmail.mail

    @router.get("/folders")
    async def folders_page(request: Request,
                           user: User = Depends(webmail.current_user)) -> Response:
        sidebar = await webmail.sidebar(user, sizes=True)
        return await webmail.page(request, user, "webmail/folders.html", {}, sidebar=sidebar)

    @router.post("/folders/create")
    async def create(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        name = str(form.get("name") or "").strip().strip(DELIMITER)
        parent = str(form.get("parent") or "")
        full = f"{parent}{DELIMITER}{name}" if parent and name else name
        try:
            await mail.create_folder(user.id, full)
        except PostroomError as exc:
            return webmail.done(request, "/mail/folders", exc.message, error=True)
        return webmail.done(request, "/mail/folders",
                            _("Folder %(name)s created.", name=full))

    @router.post("/folders/{folder_id}/rename")
    async def rename(request: Request, folder_id: int,
                     user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        new = str(form.get("name") or "").strip().strip(DELIMITER)
        try:
            folder = await mail.folder_by_id(user.id, folder_id)
            if folder.special_use is not None:
                raise NotPermitted(_("This folder is used by every mail program and keeps "
                                     "its name."))
            await mail.rename_folder(user.id, folder.name, new)
        except PostroomError as exc:
            return webmail.done(request, "/mail/folders", exc.message, error=True)
        return webmail.done(request, "/mail/folders", _("Folder renamed to %(name)s.", name=new))

    @router.post("/folders/{folder_id}/delete")
    async def delete(request: Request, folder_id: int,
                     user: User = Depends(webmail.current_user)) -> Response:
        await webmail.form(request, user)
        try:
            folder = await mail.folder_by_id(user.id, folder_id)
            if folder.special_use is not None:
                raise NotPermitted(_("This folder is used by every mail program and cannot "
                                     "be deleted."))
            await mail.delete_folder(user.id, folder.name)
        except PostroomError as exc:
            return webmail.done(request, "/mail/folders", exc.message, error=True)
        return webmail.done(request, "/mail/folders",
                            _("Folder %(name)s deleted.", name=folder.name))

    @router.post("/folders/{folder_id}/subscribe")
    async def subscribe(request: Request, folder_id: int,
                        user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        folder = await mail.folder_by_id(user.id, folder_id)
        on = form.get("on") == "1"
        await mail.subscribe(user.id, folder.name, on)
        return webmail.done(request, "/mail/folders",
                            _("Subscribed to %(name)s.", name=folder.name) if on
                            else _("Unsubscribed from %(name)s.", name=folder.name))

    return router
