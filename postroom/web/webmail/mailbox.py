"""The mailbox view: folder list, message list with sort and paging, actions, search.

Purpose: the page a user lives in. Lists come from ``store.listing`` one page at a time
(fast on 100,000 messages); actions on selected messages go through ``MailStore`` (the
one write path shared with IMAP and POP3). Fragment routes (``rows``, ``sidebar``) give
the page script fresh HTML when the change feed says something changed.

Conversations: unless the user switched them off (``SettingName.CONVERSATIONS``, on by
default), a folder lists one line per conversation (``Listing.conversation_page``; the
Drafts folder and searches stay flat); a conversation of one message, with no other
message in the folders its view would show, is listed as that message. A selected
conversation is named ``<folder id>:c<conversation id>`` and stands for all its
messages in that folder: actions resolve it with ``Listing.conversation_uids``, which
looks the folder up within the signed-in account.

Invariants: messages are named ``<folder id>:<uid>`` and every store call carries the
signed-in account, so a forged id names nothing; "delete" moves to Trash and deletes
for good only in Trash; every POST goes through the CSRF check.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from postroom.errors import NotFound, PostroomError
from postroom.store.listing import ConversationPage, Criteria, Page, SortKey
from postroom.store.records import FolderInfo, SpecialUse
from postroom.store.userdata import SettingName
from postroom.web.webmail.context import SidebarFolder, User, Webmail, safe_next

PAGE_SIZE = 50
_ACTIONS = ("read", "unread", "flag", "unflag", "delete", "move", "junk", "notjunk", "archive")


def message_refs(values: list[Any]) -> dict[int, list[int]]:
    """``["3:17", "3:18"]`` -> ``{3: [17, 18]}``; anything malformed is ignored."""
    return _refs(values, ":")


def conversation_refs(values: list[Any]) -> dict[int, list[int]]:
    """``["3:c41"]`` -> ``{3: [41]}`` (conversation 41 in folder 3); others are ignored."""
    return _refs(values, ":c")


def _refs(values: list[Any], separator: str) -> dict[int, list[int]]:
    """Folder id -> ids from ``<folder><separator><id>`` values (at most 5,000 read)."""
    out: dict[int, list[int]] = defaultdict(list)
    for value in values[:5000]:
        folder, _, item = str(value).partition(separator)
        if folder.isdigit() and item.isdigit():
            out[int(folder)].append(int(item))
    return out


async def conversations_on(webmail: Webmail, user: User) -> bool:
    return await webmail.userdata.setting(user.id, SettingName.CONVERSATIONS, True) is not False


def _list_params(request: Request) -> tuple[SortKey, bool, int]:
    q = request.query_params
    try:
        sort = SortKey(q.get("sort", "date"))
    except ValueError:
        sort = SortKey.DATE
    default_desc = "1" if sort in (SortKey.DATE, SortKey.SIZE) else "0"
    descending = q.get("desc", default_desc) == "1"
    page = int(q["page"]) if q.get("page", "").isdigit() else 1
    return sort, descending, max(1, min(page, 100_000))


def _criteria(request: Request) -> Criteria:
    q = request.query_params

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(q.get(name, ""))
        except ValueError:
            return None

    return Criteria(text=q.get("q", "")[:200], sender=q.get("from", "")[:200],
                    recipient=q.get("to", "")[:200], subject=q.get("subject", "")[:200],
                    date_from=day("since"), date_to=day("until"),
                    has_attachment=q.get("attachment") == "1", unread=q.get("unread") == "1",
                    flagged=q.get("flagged") == "1")


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._
    mail = webmail.mail

    async def folder_page(user: User, folder: FolderInfo, request: Request,
                          conversations: bool) -> Page | ConversationPage:
        sort, descending, page = _list_params(request)
        threaded = conversations and folder.special_use is not SpecialUse.DRAFTS
        fetch = webmail.listing.conversation_page if threaded else webmail.listing.folder_page
        return await fetch(user.id, folder.id, sort=sort, descending=descending,
                           offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)

    def list_context(request: Request, folder: FolderInfo | None,
                     page: Page | ConversationPage, sidebar: list[SidebarFolder],
                     search: Criteria | None, conversations: bool = False) -> dict[str, Any]:
        sort, descending, number = _list_params(request)
        names = {f.id: f.name for f in sidebar}
        show_to = folder is not None and folder.special_use in (SpecialUse.SENT,
                                                                SpecialUse.DRAFTS)
        base = {k: v for k, v in request.query_params.items() if k != "page"}
        return {"folder": folder, "page": page, "sort": sort.value, "desc": descending,
                "threaded": isinstance(page, ConversationPage),
                "conversations": conversations,
                "page_number": number, "pages": max(1, -(-page.total // PAGE_SIZE)),
                "folder_names": names, "show_to": show_to, "search": search,
                "base_query": base, "in_trash": folder is not None
                and folder.special_use is SpecialUse.TRASH,
                "in_junk": folder is not None and folder.special_use is SpecialUse.JUNK,
                "in_drafts": folder is not None and folder.special_use is SpecialUse.DRAFTS,
                "list_url": request.url.path + ("?" + request.url.query
                                                if request.url.query else "")}

    @router.get("")
    @router.get("/")
    async def home(user: User = Depends(webmail.current_user)) -> Response:
        inbox = await mail.special_folder(user.id, SpecialUse.INBOX)
        return webmail.redirect(f"/mail/f/{inbox.id}")

    @router.get("/f/{folder_id}")
    async def show_folder(request: Request, folder_id: int,
                          user: User = Depends(webmail.current_user)) -> Response:
        folder = await mail.folder_by_id(user.id, folder_id)
        on = await conversations_on(webmail, user)
        page = await folder_page(user, folder, request, on)
        sidebar = await webmail.sidebar(user)
        context = list_context(request, folder, page, sidebar, None, on)
        return await webmail.page(request, user, "webmail/mailbox.html", context,
                                  current_folder=folder.id, sidebar=sidebar)

    @router.get("/f/{folder_id}/rows")
    async def folder_rows(request: Request, folder_id: int,
                          user: User = Depends(webmail.current_user)) -> Response:
        folder = await mail.folder_by_id(user.id, folder_id)
        on = await conversations_on(webmail, user)
        page = await folder_page(user, folder, request, on)
        sidebar = await webmail.sidebar(user)  # the "move to" choices
        context = list_context(request, folder, page, sidebar, None, on)
        context["list_url"] = f"/mail/f/{folder.id}" + _keep_query(request)
        return webmail.render(request, "webmail/_list.html",
                              {"user": user, "csrf": user.session.csrf_token, **context})

    @router.get("/sidebar")
    async def sidebar(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        current = request.query_params.get("current", "")
        return webmail.render(request, "webmail/_sidebar.html", {
            "folders": await webmail.sidebar(user), "account": user.account,
            "current_folder": int(current) if current.isdigit() else None,
            "quota_warning": user.account.usage >= 0.9 * max(1, user.account.quota)})

    @router.get("/search")
    async def search(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        criteria = _criteria(request)
        scope = request.query_params.get("in", "all")
        sidebar = await webmail.sidebar(user)
        folder = None
        if scope.isdigit():
            folder = await mail.folder_by_id(user.id, int(scope))
            folder_ids = [folder.id]
        else:
            folder_ids = [f.id for f in sidebar]
        sort, descending, number = _list_params(request)
        if criteria.is_empty:
            page = Page((), 0, 0, PAGE_SIZE)
        else:
            page = await webmail.listing.search(user.id, folder_ids, criteria, sort=sort,
                                                descending=descending,
                                                offset=(number - 1) * PAGE_SIZE,
                                                limit=PAGE_SIZE)
        context = list_context(request, None, page, sidebar, criteria)
        context.update(scope=scope, scope_folder=folder)
        return await webmail.page(request, user, "webmail/mailbox.html", context,
                                  current_folder=folder.id if folder else None,
                                  sidebar=sidebar)

    @router.post("/messages")
    async def act(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        back = safe_next(str(form.get("next") or ""))
        toggle = str(form.get("toggle") or "")
        if toggle:  # one row's star: "flag:<folder>:<uid>" or "unflag:..."
            action, _sep, ref = toggle.partition(":")
            values: list[Any] = [ref]
        else:
            values = form.getlist("msg")
            action = str(form.get("action") or "")
        selected = conversation_refs(values)
        refs = message_refs(values)
        if action not in _ACTIONS:
            return webmail.done(request, back, _("Choose what to do."), error=True)
        if not refs and not selected:
            return webmail.done(request, back, _("Select one or more messages first."),
                                error=True)
        try:
            for folder_id, conversation_ids in selected.items():  # every message of each
                refs[folder_id] += await webmail.listing.conversation_uids(
                    user.id, folder_id, conversation_ids)
            count = 0
            for folder_id, uids in refs.items():
                if uids:  # none: the conversations have left the folder
                    count += await apply(user, folder_id, sorted(set(uids)), action,
                                         str(form.get("dest") or ""))
        except PostroomError as exc:
            return webmail.done(request, back, exc.message, error=True)
        return webmail.done(request, back, describe(action, count, str(form.get("dest") or "")),
                            data={"count": count})

    @router.post("/conversations")
    async def switch_conversations(request: Request,
                                   user: User = Depends(webmail.current_user)) -> Response:
        """Conversations on (``on=1``) or off: a per-user setting."""
        form = await webmail.form(request, user)
        on = str(form.get("on") or "") == "1"
        await webmail.userdata.set_setting(user.id, SettingName.CONVERSATIONS, on)
        text = _("Messages are grouped into conversations.") if on else _(
            "Messages are listed one by one.")
        return webmail.done(request, safe_next(str(form.get("next") or "")), text)

    async def apply(user: User, folder_id: int, uids: list[int], action: str,
                    dest: str) -> int:
        folder = await mail.folder_by_id(user.id, folder_id)
        flag_changes = {"read": ("add", "\\Seen"), "unread": ("remove", "\\Seen"),
                        "flag": ("add", "\\Flagged"), "unflag": ("remove", "\\Flagged")}
        if action in flag_changes:
            mode, flag = flag_changes[action]
            await mail.set_flags(user.id, folder.id, uids, mode, [flag])
            return len(uids)
        if action == "delete":
            if folder.special_use is SpecialUse.TRASH:
                return len(await mail.delete_messages(user.id, folder.id, uids))
            try:
                trash = await mail.special_folder(user.id, SpecialUse.TRASH)
            except NotFound:
                return len(await mail.delete_messages(user.id, folder.id, uids))
            return len((await mail.move(user.id, folder.id, uids, trash.name)).dest_uids)
        if action in ("junk", "notjunk"):
            junk = action == "junk"
            await mail.set_flags(user.id, folder.id, uids, "add",
                                 ["$Junk" if junk else "$NotJunk"])
            await mail.set_flags(user.id, folder.id, uids, "remove",
                                 ["$NotJunk" if junk else "$Junk"])
            target = await mail.special_folder(user.id, SpecialUse.JUNK if junk
                                               else SpecialUse.INBOX)
            if target.id == folder.id:
                return len(uids)
            return len((await mail.move(user.id, folder.id, uids, target.name)).dest_uids)
        if action == "archive":
            dest = (await mail.special_folder(user.id, SpecialUse.ARCHIVE)).name
        if not dest:
            raise NotFound(_("Choose a folder to move to."))
        return len((await mail.move(user.id, folder.id, uids, dest)).dest_uids)

    def describe(action: str, count: int, dest: str) -> str:
        n = webmail.translations.ngettext
        texts = {
            "read": n("%(n)d message marked as read.", "%(n)d messages marked as read.", count),
            "unread": n("%(n)d message marked as unread.", "%(n)d messages marked as unread.",
                        count),
            "flag": n("%(n)d message flagged.", "%(n)d messages flagged.", count),
            "unflag": n("%(n)d message unflagged.", "%(n)d messages unflagged.", count),
            "delete": n("%(n)d message deleted.", "%(n)d messages deleted.", count),
            "junk": n("%(n)d message marked as junk.", "%(n)d messages marked as junk.", count),
            "notjunk": n("%(n)d message marked as not junk.",
                         "%(n)d messages marked as not junk.", count),
            "archive": n("%(n)d message archived.", "%(n)d messages archived.", count),
            "move": n("%(n)d message moved to %(dest)s.", "%(n)d messages moved to %(dest)s.",
                      count),
        }
        return texts[action] % {"n": count, "dest": dest}

    return router


def _keep_query(request: Request) -> str:
    return "?" + request.url.query if request.url.query else ""
