"""Reading a message: the page, the sandboxed body frame, attachments, source, print.

Purpose: show one message safely. The page shows headers, the plain text (escaped by
the template) or an iframe whose document comes from the ``frame`` route: sanitised
HTML (``sanitize``) served with its own strict CSP (``security.frame_csp``) into an
iframe sandboxed without ``allow-scripts``.

Invariants:
- Every route loads the message through ``MailStore.details`` with the signed-in
  account: another account's (folder id, uid) is "not found".
- Remote images load only when the user asked for this message (``images=1``) or for
  this sender (``image_sender``); otherwise neither the markup nor the CSP lets any
  request leave the frame.
- Only parts listed as attachments are downloadable, always as ``attachment`` with
  ``nosniff``, a sandboxing CSP and an RFC 6266/5987 file name.
- Opening a message marks it read (\\Seen), as IMAP FETCH BODY[] does.

A conversation (``/c/<folder id>/<conversation id>``) shows the account's messages of
that conversation (``Listing.conversation``: the folder's and every other folder's but
Trash and Junk), oldest first, the newest open; opening it marks them read. Its bodies
are the same escaped text or sandboxed frames as a single message's (the newest
``CONVERSATION_BODIES``; older ones link to their own page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from postroom.errors import NotFound
from postroom.mail.headers import bytes_to_text
from postroom.mail.summary import MessageSummary, decode_body, part_header_bytes
from postroom.store.listing import ListItem
from postroom.store.records import FolderInfo, MessageDetail, SpecialUse
from postroom.web.security import DOWNLOAD_HEADERS, content_disposition, frame_csp
from postroom.web.webmail.context import User, Webmail
from postroom.web.webmail.message_view import (
    attachment_part,
    people,
    plain_text,
    render_html,
    split_links,
)
from postroom.web.webmail.sanitize import frame_document

#: Bodies shown in a conversation (the newest); older messages link to their own page.
CONVERSATION_BODIES = 20
_SAFE_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


async def load(webmail: Webmail, user: User, folder_id: int, uid: int
               ) -> tuple[MessageDetail, MessageSummary, bytes]:
    found = await webmail.mail.details(user.id, folder_id, [uid])
    if not found:
        raise NotFound("that message is not there any more")
    detail = found[0]
    raw = await webmail.mail.read_message(detail.row)
    return detail, MessageSummary.from_json(detail.summary), raw


@dataclass(frozen=True)
class ShownMessage:
    """One message of a conversation, as the conversation page shows it."""

    item: ListItem
    ref: str
    folder_name: str
    summary: MessageSummary | None  # None: not loaded (an older message: a link only)
    text_chunks: list[tuple[str, bool]] | None = None
    frame_url: str = ""
    blocked: int = 0

    @property
    def url(self) -> str:
        return f"/mail/m/{self.item.folder_id}/{self.item.uid}"

    def people(self, name: str) -> list[Any]:
        return people(self.summary.headers, name) if self.summary is not None else []


def sender_address(summary: MessageSummary) -> str:
    senders = people(summary.headers, "from")
    return senders[0].address.lower() if senders else ""


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    mail = webmail.mail

    async def remote_allowed(request: Request, user: User, summary: MessageSummary) -> bool:
        if request.query_params.get("images") == "1":
            return True
        sender = sender_address(summary)
        return bool(sender) and await webmail.userdata.images_allowed(user.id, sender)

    @router.get("/m/{folder_id}/{uid}")
    async def show(request: Request, folder_id: int, uid: int,
                   user: User = Depends(webmail.current_user)) -> Response:
        detail, summary, raw = await load(webmail, user, folder_id, uid)
        folder = await mail.folder_by_id(user.id, folder_id)
        if folder.special_use is SpecialUse.DRAFTS:
            return webmail.redirect(f"/mail/compose?draft={uid}")
        if "\\Seen" not in detail.row.flags:
            await mail.set_flags(user.id, folder_id, [uid], "add", ["\\Seen"])
        allowed = await remote_allowed(request, user, summary)
        html = render_html(raw, summary, allow_remote=allowed)
        view = request.query_params.get("view")
        text = plain_text(raw, summary) if html is None or view == "text" else None
        newer, older = await webmail.listing.neighbours(user.id, folder_id, uid)
        context: dict[str, Any] = {
            "detail": detail, "summary": summary, "folder": folder, "uid": uid,
            "subject": summary.headers.get("subject") or "",
            "from_": people(summary.headers, "from"), "to": people(summary.headers, "to"),
            "cc": people(summary.headers, "cc"), "bcc": people(summary.headers, "bcc"),
            "reply_to": people(summary.headers, "reply_to"),
            "date": summary.headers.get("date") or detail.row.internal_date,
            "header_text": bytes_to_text(part_header_bytes(raw, summary.structure)),
            "has_html": html is not None, "blocked": html.blocked_images if html else 0,
            "images": allowed, "text_chunks": split_links(text) if text is not None else None,
            "sender": sender_address(summary), "attachments": summary.attachments,
            "newer": newer, "older": older, "flagged": "\\Flagged" in detail.row.flags,
            "ref": f"{folder_id}:{uid}",
            "frame_url": f"/mail/m/{folder_id}/{uid}/frame" + ("?images=1" if allowed else ""),
        }
        return await webmail.page(request, user, "webmail/message.html", context,
                                  current_folder=folder_id)

    @router.get("/m/{folder_id}/{uid}/frame")
    async def frame(request: Request, folder_id: int, uid: int,
                    user: User = Depends(webmail.current_user)) -> Response:
        _detail, summary, raw = await load(webmail, user, folder_id, uid)
        allowed = await remote_allowed(request, user, summary)
        html = render_html(raw, summary, allow_remote=allowed)
        body = html.html if html is not None else ""
        return Response(frame_document(body), media_type="text/html; charset=utf-8", headers={
            "Content-Security-Policy": frame_csp(allowed),
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, no-store",
        })

    @router.post("/m/{folder_id}/{uid}/images")
    async def always_images(request: Request, folder_id: int, uid: int,
                            user: User = Depends(webmail.current_user)) -> Response:
        await webmail.form(request, user)
        _detail, summary, _raw = await load(webmail, user, folder_id, uid)
        sender = sender_address(summary)
        await webmail.userdata.allow_images(user.id, sender)
        return webmail.done(request, f"/mail/m/{folder_id}/{uid}",
                            webmail._("Images from %(sender)s will always be shown.",
                                      sender=sender))

    @router.get("/m/{folder_id}/{uid}/part/{section}")
    async def attachment(folder_id: int, uid: int, section: str,
                         user: User = Depends(webmail.current_user)) -> Response:
        _detail, summary, raw = await load(webmail, user, folder_id, uid)
        found = attachment_part(summary, section)
        if found is None:
            raise NotFound("no such attachment")
        item, part = found
        data = decode_body(raw, part)
        media_type = item.content_type.lower()
        if part.message is not None:
            media_type = "message/rfc822"
        if not _SAFE_TYPE.match(media_type):
            media_type = "application/octet-stream"
        fallback = "message.eml" if part.message is not None else "attachment"
        return Response(data, media_type=media_type, headers={
            **DOWNLOAD_HEADERS,
            "Content-Disposition": content_disposition(item.filename, fallback=fallback)})

    @router.get("/m/{folder_id}/{uid}/source")
    async def source(folder_id: int, uid: int,
                     user: User = Depends(webmail.current_user)) -> Response:
        _detail, _summary, raw = await load(webmail, user, folder_id, uid)
        return Response(raw.decode("utf-8", "replace"), media_type="text/plain; charset=utf-8",
                        headers={**DOWNLOAD_HEADERS,
                                 "Content-Disposition": content_disposition(
                                     f"message-{uid}.txt", disposition="inline")})

    @router.get("/m/{folder_id}/{uid}/download")
    async def download(folder_id: int, uid: int,
                       user: User = Depends(webmail.current_user)) -> Response:
        _detail, summary, raw = await load(webmail, user, folder_id, uid)
        name = (summary.headers.get("subject") or "message")[:80] + ".eml"
        return Response(raw, media_type="message/rfc822", headers={
            **DOWNLOAD_HEADERS, "Content-Disposition": content_disposition(name)})

    @router.get("/m/{folder_id}/{uid}/print")
    async def print_view(request: Request, folder_id: int, uid: int,
                         user: User = Depends(webmail.current_user)) -> Response:
        detail, summary, raw = await load(webmail, user, folder_id, uid)
        text = plain_text(raw, summary) or ""
        return webmail.render(request, "webmail/print.html", {
            "subject": summary.headers.get("subject") or "",
            "from_": people(summary.headers, "from"), "to": people(summary.headers, "to"),
            "cc": people(summary.headers, "cc"),
            "date": summary.headers.get("date") or detail.row.internal_date,
            "text": text, "attachments": summary.attachments})

    async def shown(request: Request, user: User, item: ListItem, folder_name: str,
                    full: bool) -> ShownMessage:
        ref = f"{item.folder_id}:{item.uid}"
        if not full:
            return ShownMessage(item, ref, folder_name, None)
        try:
            _detail, summary, raw = await load(webmail, user, item.folder_id, item.uid)
        except NotFound:  # gone since the list was read
            return ShownMessage(item, ref, folder_name, None)
        allowed = await remote_allowed(request, user, summary)
        html = render_html(raw, summary, allow_remote=allowed)
        text = plain_text(raw, summary) if html is None else None
        frame = f"/mail/m/{item.folder_id}/{item.uid}/frame" + ("?images=1" if allowed else "")
        return ShownMessage(item, ref, folder_name, summary,
                            split_links(text) if text is not None else None,
                            frame if html is not None else "",
                            html.blocked_images if html is not None and not allowed else 0)

    async def mark_read(user: User, items: list[ListItem]) -> None:
        unread: dict[int, list[int]] = {}
        for item in items:
            if not item.seen:
                unread.setdefault(item.folder_id, []).append(item.uid)
        for folder_id, uids in unread.items():
            await mail.set_flags(user.id, folder_id, uids, "add", ["\\Seen"])

    @router.get("/c/{folder_id}/{conversation_id}")
    async def conversation(request: Request, folder_id: int, conversation_id: int,
                           user: User = Depends(webmail.current_user)) -> Response:
        folder: FolderInfo = await mail.folder_by_id(user.id, folder_id)
        items = await webmail.listing.conversation(user.id, conversation_id, folder.id)
        here = [i for i in items if i.folder_id == folder.id]
        if not here:
            raise NotFound("that conversation is not there any more")
        await mark_read(user, items)
        sidebar = await webmail.sidebar(user)  # with the unread counts after that
        names = {f.id: f.name for f in sidebar}
        first_full = max(0, len(items) - CONVERSATION_BODIES)
        messages = [await shown(request, user, item, names.get(item.folder_id, ""),
                                n >= first_full) for n, item in enumerate(items)]
        newer, older = await webmail.listing.conversation_neighbours(user.id, folder.id,
                                                                     here[-1])
        newest = items[-1]
        ref = f"{folder.id}:c{conversation_id}"
        return await webmail.page(request, user, "webmail/conversation.html", {
            "folder": folder, "messages": messages, "ref": ref,
            "subject": items[0].subject, "reply_ref": f"{newest.folder_id}:{newest.uid}",
            "flagged": any(i.flagged for i in here),
            "newer": newer, "older": older,
            "url": f"/mail/c/{folder.id}/{conversation_id}",
        }, current_folder=folder.id, sidebar=sidebar)

    return router
