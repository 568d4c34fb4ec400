"""The web mail, served at ``/mail``: the mail client in the browser.

Purpose: sign in with the account's address and password, read, search, organise and
write mail, and set up signature, vacation reply, forwarding, filters and the address
book. Pages are rendered on the server (Jinja2, gettext) and work without script; small
hand-written scripts (``/static``) add live updates (server-sent events), keyboard
shortcuts, drag and drop, address completion, draft autosave and a rich-text editor.

Invariants (DESIGN section 7):
- Every route but sign-in needs a live session (``context.Webmail.current_user``);
  every state-changing route checks the CSRF token (``context.Webmail.form``).
- Every store call is scoped to the signed-in account; the web never builds SQL.
- No inline script or style: the CSP forbids them and the templates have none.
- Sending goes through the delivery package's submission path only (``Submit``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from postroom.errors import (
    AlreadyExists,
    Invalid,
    LimitExceeded,
    NotFound,
    NotPermitted,
    OverQuota,
    PostroomError,
    TemporaryFailure,
)
from postroom.store.listing import Listing
from postroom.store.mailboxes import MailStore
from postroom.store.userdata import UserData
from postroom.store.websessions import WebSessions
from postroom.tenancy import Tenancy
from postroom.tenancy.preferences import Preferences
from postroom.web.webmail import (
    compose,
    contacts,
    events,
    folders,
    mailbox,
    reading,
    settings,
    signin,
)
from postroom.web.webmail.context import SignInRequired, Submit, Webmail, wants_json
from postroom.web.webmail.formatting import install as install_filters
from postroom.web.webmail.i18n import create_environment, create_translations

_STATUS = {NotFound: 404, NotPermitted: 403, AlreadyExists: 409, Invalid: 400,
           LimitExceeded: 413, OverQuota: 507, TemporaryFailure: 503}


def mount_webmail(app: FastAPI, tenancy: Tenancy, mail: MailStore, *, templates: Path,
                  secure_cookies: bool, submit: Submit | None = None,
                  max_message_size: int | None = None) -> Webmail:
    """Build the web mail on ``tenancy`` and ``mail`` and mount it at ``/mail``."""
    translations = create_translations()
    env = create_environment(templates, translations)
    install_filters(env)
    userdata = UserData(mail.db)
    webmail = Webmail(
        tenancy=tenancy, mail=mail, sessions=WebSessions(mail.db), userdata=userdata,
        preferences=Preferences(userdata, tenancy.organisations), listing=Listing(mail.db),
        env=env, translations=translations, secure_cookies=secure_cookies, submit=submit,
        max_message_size=max_message_size or mail.max_message_size)
    for module in (signin, mailbox, events, reading, compose, folders, settings, contacts):
        app.include_router(module.build(webmail), prefix="/mail", include_in_schema=False)
    _install_error_pages(app, webmail)
    return webmail


def _install_error_pages(app: FastAPI, webmail: Webmail) -> None:
    async def sign_in(request: Request, exc: Exception) -> Response:
        if wants_json(request) or request.method != "GET" or request.url.path.endswith(
                ("/events", "/rows", "/sidebar")):
            return JSONResponse({"error": "signed out"}, status_code=401)
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return webmail.redirect("/mail/login?next=" + quote(target, safe=""))

    async def store_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PostroomError)
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
        if wants_json(request) or not request.url.path.startswith("/mail"):
            return JSONResponse({"error": exc.message}, status_code=status)
        return webmail.render(request, "webmail/error.html",
                              {"message": exc.message, "status": status}, status=status)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(PostroomError, store_error)
