"""Writing mail: the compose page, draft autosave, sending, address completion.

Purpose: compose, reply, reply all, forward (inline or as attachment) and reopen drafts.
Drafts are real messages in the Drafts folder, written through ``MailStore.append`` (the
one write path IMAP APPEND uses); each save replaces the previous draft. Sending goes
through the delivery package's submission path only (``Webmail.submit``).

Invariants:
- Attachments carried from another message (forwarding, a previous draft) are named
  ``<folder id>:<uid>:<section>`` (or ``...:whole``) and loaded through the store with
  the signed-in account, so a forged reference reaches nothing.
- The identity must be one of ``accounts.send_as_addresses``; the submission path
  checks it again with the rest of its rules.
- A draft is deleted only after its replacement (or the sent message) is stored.
- Errors come back as words for people: the store's and submission's user-safe
  messages, or a fixed sentence for each failure class.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from postroom.errors import (
    Invalid,
    LimitExceeded,
    NotFound,
    NotPermitted,
    OverQuota,
    PostroomError,
    TemporaryFailure,
)
from postroom.mail.summary import MessageSummary, decode_body, find_part
from postroom.store.records import SpecialUse
from postroom.store.userdata import SettingName
from postroom.web.webmail import drafting
from postroom.web.webmail.context import User, Webmail, wants_json
from postroom.web.webmail.formatting import long_date
from postroom.web.webmail.message_view import body_parts, part_text, plain_text
from postroom.web.webmail.reading import load
from postroom.web.webmail.sanitize import sanitise

MAX_SUGGESTIONS = 8


def _ref(value: str) -> tuple[int, int, str] | None:
    folder, _, rest = value.partition(":")
    uid, _, section = rest.partition(":")
    if folder.isdigit() and uid.isdigit() and section:
        return int(folder), int(uid), section
    return None


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._
    mail = webmail.mail

    async def identities(user: User) -> list[str]:
        return await webmail.tenancy.accounts.send_as_addresses(user.account)

    async def carried(user: User, refs: list[str]) -> list[dict[str, Any]]:
        """Describe carried attachments (name, type, size) for the page."""
        out = []
        for value in refs:
            ref = _ref(value)
            if ref is None:
                continue
            folder_id, uid, section = ref
            try:
                detail, summary, _raw = await load(webmail, user, folder_id, uid)
            except NotFound:
                continue
            if section == "whole":
                out.append({"ref": value, "name": (summary.headers.get("subject") or "message")
                            + ".eml", "type": "message/rfc822", "size": detail.row.size})
            for a in summary.attachments:
                if a.part == section:
                    out.append({"ref": value, "name": a.filename or _("Unnamed attachment"),
                                "type": a.content_type, "size": a.size})
        return out

    async def load_attachments(user: User, refs: list[str]) -> list[drafting.NewAttachment]:
        out = []
        for value in refs[:200]:
            ref = _ref(value)
            if ref is None:
                continue
            folder_id, uid, section = ref
            _detail, summary, raw = await load(webmail, user, folder_id, uid)
            if section == "whole":
                name = (summary.headers.get("subject") or "message")[:60] + ".eml"
                out.append(drafting.NewAttachment(name, "message/rfc822", raw, message=True))
                continue
            item = next((a for a in summary.attachments if a.part == section), None)
            part = find_part(summary.structure, section)
            if item is None or part is None:
                raise NotFound(_("An attachment is no longer there."))
            data = decode_body(raw, part)
            if part.message is not None:
                out.append(drafting.NewAttachment(item.filename or "message.eml",
                                                  "message/rfc822", data, message=True))
            else:
                out.append(drafting.NewAttachment(item.filename or "attachment",
                                                  item.content_type, data))
        return out

    async def uploads(form: FormData) -> list[drafting.NewAttachment]:
        out = []
        for item in form.getlist("files"):
            if isinstance(item, UploadFile) and item.filename:
                data = await item.read()
                out.append(drafting.NewAttachment(item.filename[-200:],
                                                  item.content_type or "application/octet-stream",
                                                  data))
        return out

    async def draft_from_form(user: User, form: FormData) -> drafting.Draft:
        sender = str(form.get("from") or "")
        own = await identities(user)
        if sender.lower() not in {a.lower() for a in own}:
            raise NotPermitted(_("You can only send from your own addresses."))
        html_mode = form.get("format") == "html"
        html = drafting.clean_editor_html(str(form.get("body_html") or "")) if html_mode else None
        text = str(form.get("body_text") or "")
        if html is not None and not text.strip():
            text = drafting.plain_from_html(html)
        draft = drafting.Draft(
            sender=sender, to=str(form.get("to") or ""), cc=str(form.get("cc") or ""),
            bcc=str(form.get("bcc") or ""), subject=str(form.get("subject") or ""),
            text=text, html=html, in_reply_to=str(form.get("in_reply_to") or ""),
            references=str(form.get("references") or ""))
        draft.attachments = await load_attachments(
            user, [str(v) for v in form.getlist("keep")]) + await uploads(form)
        size = sum(len(a.data) for a in draft.attachments)
        if size * 4 / 3 > webmail.max_message_size:
            raise LimitExceeded(_("The attachments are larger than a message can carry."))
        return draft

    async def save_draft(user: User, form: FormData) -> tuple[int, list[dict[str, Any]]]:
        draft = await draft_from_form(user, form)
        raw = drafting.build_message(draft, display_name=user.account.display_name,
                                     now=datetime.now(UTC), for_sending=False)
        drafts = await mail.special_folder(user.id, SpecialUse.DRAFTS)
        result = await mail.append(user.id, drafts.name, raw, ["\\Draft", "\\Seen"])
        previous = str(form.get("draft") or "")
        if previous.isdigit() and int(previous) != result.uid:
            await mail.delete_messages(user.id, drafts.id, [int(previous)])
        found = await mail.details(user.id, drafts.id, [result.uid])
        summary = MessageSummary.from_json(found[0].summary)
        attachments = [{"ref": f"{drafts.id}:{result.uid}:{a.part}",
                        "name": a.filename or _("Unnamed attachment"),
                        "type": a.content_type, "size": a.size} for a in summary.attachments]
        return result.uid, attachments

    @router.get("/compose")
    async def compose(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        q = request.query_params
        own = await identities(user)
        draft, keep, reply_ref, draft_uid = await prefill(user, q, own)
        signature = await webmail.userdata.signature(user.id)
        fmt = await webmail.userdata.setting(user.id, SettingName.COMPOSE_FORMAT, "html")
        starting_html = drafting.editor_html(draft, signature if not draft_uid else "")
        if signature and not draft_uid:
            draft.text = _with_signature(draft.text, signature, top=bool(reply_ref))
        editor_html = draft.html if draft.html is not None else (
            starting_html if draft.quote_head else drafting.text_to_html(draft.text))
        return await webmail.page(request, user, "webmail/compose.html", {
            "draft": draft, "identities": own, "keep": await carried(user, keep),
            "draft_uid": draft_uid or "", "reply_ref": reply_ref,
            "editor_html": sanitise(editor_html).html,
            "rich": fmt == "html" or draft.html is not None,
            "limit": webmail.max_message_size * 3 // 4,
            "can_send": webmail.submit is not None})

    async def prefill(user: User, q: Any, own: list[str]
                      ) -> tuple[drafting.Draft, list[str], str, int | None]:
        for key in ("reply", "replyall", "forward", "attach", "draft"):
            value = q.get(key, "")
            if key == "draft" and value.isdigit():
                drafts = await mail.special_folder(user.id, SpecialUse.DRAFTS)
                value = f"{drafts.id}:{value}"
            ref = _ref(value + ":x") if value else None
            if ref is None:
                continue
            folder_id, uid, _x = ref
            detail, summary, raw = await load(webmail, user, folder_id, uid)
            text = plain_text(raw, summary) or ""
            date_text = long_date(summary.headers.get("date") or detail.row.internal_date)
            refs = f"{folder_id}:{uid}"
            if key in ("reply", "replyall"):
                return (drafting.reply_prefill(summary.headers, text, own=own,
                                               reply_all=key == "replyall",
                                               date_text=date_text), [], refs, None)
            if key == "forward":
                draft = drafting.forward_prefill(summary.headers, text, own=own,
                                                 date_text=date_text)
                return draft, [f"{refs}:{a.part}" for a in summary.attachments], "", None
            if key == "attach":
                subject = drafting.forward_subject(summary.headers.get("subject") or "")
                return drafting.Draft(sender=own[0], subject=subject), [f"{refs}:whole"], "", None
            parts = body_parts(summary.structure, list(summary.attachments))
            html = part_text(raw, parts.html) if parts.html is not None else None
            text = part_text(raw, parts.text) if parts.text is not None else text
            draft = drafting.draft_from_headers(summary.headers, text, html, own)
            return draft, [f"{refs}:{a.part}" for a in summary.attachments], "", uid
        return drafting.Draft(sender=own[0], to=q.get("to", "")[:1000]), [], "", None

    @router.post("/compose/save")
    async def save(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        try:
            uid, attachments = await save_draft(user, form)
        except PostroomError as exc:
            return _problem(request, webmail, user_message(webmail, exc), "/mail/compose")
        if wants_json(request):
            return JSONResponse({"ok": True, "draft": uid, "attachments": attachments,
                                 "saved": datetime.now(UTC).isoformat()})
        return webmail.redirect(f"/mail/compose?draft={uid}", _("Draft saved."))

    @router.post("/compose/send")
    async def send(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        try:
            draft = await draft_from_form(user, form)
            recipients = [a for field in (draft.to, draft.cc, draft.bcc)
                          for _n, a in drafting.parse_recipients(field)]
            if not recipients:
                raise Invalid(_("Add at least one recipient."))
            if webmail.submit is None:
                raise TemporaryFailure(_("Sending is not available on this server yet. "
                                         "Your message is kept in Drafts."))
            raw = drafting.build_message(draft, display_name=user.account.display_name,
                                         now=datetime.now(UTC), for_sending=True)
            await webmail.submit(user.account, draft.sender, recipients, raw)
        except PostroomError as exc:
            message = user_message(webmail, exc)
            try:
                uid, _att = await save_draft(user, form)
                back = f"/mail/compose?draft={uid}"
            except PostroomError:
                back = "/mail/compose"
            return _problem(request, webmail, message, back)
        await after_send(user, form)
        inbox = await mail.special_folder(user.id, SpecialUse.INBOX)
        return webmail.done(request, f"/mail/f/{inbox.id}", _("Your message was sent."))

    async def after_send(user: User, form: FormData) -> None:
        drafts = await mail.special_folder(user.id, SpecialUse.DRAFTS)
        previous = str(form.get("draft") or "")
        if previous.isdigit():
            await mail.delete_messages(user.id, drafts.id, [int(previous)])
        ref = _ref(str(form.get("reply_ref") or "") + ":x")
        if ref is not None:
            try:
                await mail.set_flags(user.id, ref[0], [ref[1]], "add", ["\\Answered"])
            except NotFound:
                pass  # the original was moved or deleted meanwhile

    @router.post("/compose/discard")
    async def discard(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        drafts = await mail.special_folder(user.id, SpecialUse.DRAFTS)
        previous = str(form.get("draft") or "")
        if previous.isdigit():
            await mail.delete_messages(user.id, drafts.id, [int(previous)])
        return webmail.done(request, f"/mail/f/{drafts.id}", _("Draft discarded."))

    @router.get("/addresses")
    async def addresses(request: Request,
                        user: User = Depends(webmail.current_user)) -> JSONResponse:
        q = request.query_params.get("q", "").strip().lower()[:100]
        if not q:
            return JSONResponse([])
        found: dict[str, str] = {}
        for c in await webmail.userdata.contacts(user.id, q, limit=MAX_SUGGESTIONS):
            found.setdefault(c.email, c.name)
        for name, address in await webmail.listing.correspondents(user.id):
            if len(found) >= MAX_SUGGESTIONS:
                break
            if q in address.lower() or q in name.lower():
                found.setdefault(address, name)
        return JSONResponse([{"name": n, "address": a,
                              "value": drafting.format_person(n, a)}
                             for a, n in list(found.items())[:MAX_SUGGESTIONS]])

    return router


def _with_signature(text: str, signature: str, *, top: bool) -> str:
    block = "\n\n-- \n" + signature.strip("\n") + "\n"
    if top:  # above the quoted text of a reply
        return block + text
    return (text.rstrip("\n") + block) if text.strip() else block


def user_message(webmail: Webmail, exc: PostroomError) -> str:
    """The sentence a person sees for a failed save or send."""
    _ = webmail._
    if isinstance(exc, OverQuota):
        return _("Your mailbox is full, so the message could not be saved. "
                 "Delete some mail and try again.")
    if isinstance(exc, TemporaryFailure) and exc.message == TemporaryFailure.default_message:
        return _("The mail service is busy right now. Nothing was sent; try again in a "
                 "moment.")
    if isinstance(exc, LimitExceeded):
        limit = math.floor(webmail.max_message_size * 3 / 4 / 1024 / 1024)
        return _("The message is too large. Attachments can add up to about %(mb)d MB.",
                 mb=limit)
    if isinstance(exc, NotFound) and exc.message.startswith("no such recipient"):
        return _("There is no mailbox for %(who)s. Check the address.",
                 who=exc.message.split(":", 1)[-1].strip())
    return exc.message[:1].upper() + exc.message[1:]


def _problem(request: Request, webmail: Webmail, message: str, back: str) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "message": message}, status_code=400)
    return webmail.redirect(back, message, error=True)

