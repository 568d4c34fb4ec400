"""What every web mail route needs: the services, the signed-in user, CSRF, rendering.

Purpose: routes declare ``user: User = Depends(webmail.current_user)`` and get an
active account or a redirect to the sign-in page; state-changing routes read their
input with ``await webmail.form(request, user)``, which refuses a request without the
session's CSRF token before anything happens.

Invariants:
- A user is an *active* account with a live session whose sign-in came after the last
  password change; anything else ends the session (suspension and password resets by
  an administrator take effect on the next request).
- Every store call a route makes passes ``user.account.id``: the store scopes folders,
  messages and user data by it, so changing an id in a URL reaches nothing of
  another account's (it reads as "not found").
- Pages are rendered only through ``render`` (autoescaped templates); messages shown to
  the user come from gettext or from ``PostroomError.message`` (user-safe by contract).
"""

from __future__ import annotations

import gettext
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from fastapi import HTTPException, Request
from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from postroom.errors import NotFound
from postroom.store.listing import Listing
from postroom.store.mailboxes import MailStore
from postroom.store.records import Account, AccountStatus, FolderStatus, SpecialUse
from postroom.store.userdata import UserData
from postroom.store.websessions import WebSession, WebSessions
from postroom.tenancy import Tenancy
from postroom.tenancy.preferences import Preferences
from postroom.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    FLASH_COOKIE,
    SESSION_COOKIE,
    same_origin,
    tokens_match,
)

#: ``submit(account, sender, recipients, message)``: the delivery package's submission
#: path (DKIM, queue, Sent copy, send-as rules, limits). None until it is wired.
Submit = Callable[[Account, str, list[str], bytes], Awaitable[object]]

_SPECIAL_ORDER = {SpecialUse.INBOX: 0, SpecialUse.DRAFTS: 1, SpecialUse.SENT: 2,
                  SpecialUse.ARCHIVE: 3, SpecialUse.JUNK: 4, SpecialUse.TRASH: 5}
MAX_FORM_FIELDS = 3000


class SignInRequired(Exception):
    """No live session: pages redirect to sign-in, scripts get 401."""


@dataclass(frozen=True)
class User:
    account: Account
    session: WebSession
    token: str

    @property
    def id(self) -> int:
        return self.account.id


@dataclass(frozen=True)
class SidebarFolder:
    status: FolderStatus
    depth: int
    label: str

    @property
    def id(self) -> int:
        return self.status.folder.id

    @property
    def name(self) -> str:
        return self.status.folder.name

    @property
    def icon(self) -> str:
        use = self.status.folder.special_use
        return use.value.lstrip("\\").lower() if use else "folder"


@dataclass
class Webmail:
    """The services and settings of the web mail, built once by ``create_app``."""

    tenancy: Tenancy
    mail: MailStore
    sessions: WebSessions
    userdata: UserData
    preferences: Preferences
    listing: Listing
    env: Environment
    translations: gettext.NullTranslations
    secure_cookies: bool
    submit: Submit | None
    max_message_size: int

    def _(self, text: str, **values: Any) -> str:
        translated = self.translations.gettext(text)
        return translated % values if values else translated

    # --- who is asking --------------------------------------------------------------

    async def current_user(self, request: Request) -> User:
        token = request.cookies.get(SESSION_COOKIE)
        session = await self.sessions.find(token)
        if session is None or token is None:
            raise SignInRequired()
        try:
            account = await self.tenancy.accounts.get_by_id(session.account_id)
        except NotFound:
            raise SignInRequired() from None
        changed = account.password_changed_at
        if account.status is not AccountStatus.ACTIVE or (
                changed is not None and changed > session.created_at):
            await self.sessions.delete(token)
            raise SignInRequired()
        return User(account, session, token)

    async def form(self, request: Request, user: User) -> FormData:
        """The posted form, after the CSRF check (403 without the session's token)."""
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_upload:
            raise HTTPException(413, self._("That is more than a message can carry."))
        if not same_origin(request):
            raise HTTPException(403, self._("This request did not come from this page."))
        form = await request.form(max_files=200, max_fields=MAX_FORM_FIELDS,
                                  max_part_size=self.max_message_size)
        given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
        if not tokens_match(user.session.csrf_token, given if isinstance(given, str) else None):
            raise HTTPException(403, self._("This form has expired. Reload the page and try "
                                            "again."))
        return form

    @property
    def max_upload(self) -> int:
        # Attachments arrive as multipart form data: the message limit plus headroom.
        return self.max_message_size + 1024 * 1024

    # --- answering ------------------------------------------------------------------

    def render(self, request: Request, name: str, context: dict[str, Any], *,
               status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        flash = request.cookies.get(FLASH_COOKIE)
        values = {"request": request, "flash": _read_flash(flash), **context}
        response = HTMLResponse(self.env.get_template(name).render(values), status_code=status,
                                headers=headers)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/mail")
        return response

    async def page(self, request: Request, user: User, name: str, context: dict[str, Any],
                   *, status: int = 200, current_folder: int | None = None,
                   sidebar: list[SidebarFolder] | None = None) -> HTMLResponse:
        """A signed-in page: the layout's folder list, quota and CSRF token included."""
        sidebar = sidebar if sidebar is not None else await self.sidebar(user)
        values = {"user": user, "csrf": user.session.csrf_token, "folders": sidebar,
                  "current_folder": current_folder, "account": user.account,
                  "quota_warning": user.account.usage >= 0.9 * max(1, user.account.quota),
                  **context}
        return self.render(request, name, values, status=status)

    async def sidebar(self, user: User, *, sizes: bool = False) -> list[SidebarFolder]:
        """The folders with unread counts (and sizes, which cost a scan, when asked)."""
        statuses = await (self.mail.folder_statuses(user.id) if sizes
                          else self.listing.folder_counts(user.id))
        statuses.sort(key=lambda st: (
            _SPECIAL_ORDER.get(st.folder.special_use, 9) if st.folder.special_use else 9,
            st.folder.name.lower()))
        return [SidebarFolder(st, st.folder.name.count("/"), st.folder.name.rsplit("/", 1)[-1])
                for st in statuses]

    def redirect(self, url: str, flash: str | None = None, *, error: bool = False) -> Response:
        response = RedirectResponse(url, status_code=303)
        if flash:
            set_flash(response, flash, error=error)
        return response

    def done(self, request: Request, url: str, flash: str | None = None, *,
             error: bool = False, data: dict[str, Any] | None = None) -> Response:
        """After a change: JSON for scripts (``Accept: application/json``), else redirect."""
        if wants_json(request):
            body = {"ok": not error, "message": flash or "", **(data or {})}
            return JSONResponse(body, status_code=400 if error else 200)
        return self.redirect(url, flash, error=error)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def set_flash(response: Response, text: str, *, error: bool = False) -> None:
    value = ("!" if error else "") + text[:300]
    response.set_cookie(FLASH_COOKIE, quote(value), max_age=60, path="/mail", httponly=True,
                        samesite="strict")


def _read_flash(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    text = unquote(value)[:301]
    error = text.startswith("!")
    return {"text": text[1:] if error else text, "error": error}


def safe_next(url: str | None) -> str:
    """Only a local web mail path may be a redirect target (no open redirect)."""
    if url and url.startswith("/mail") and not url.startswith("//") and "\\" not in url:
        return url
    return "/mail"
