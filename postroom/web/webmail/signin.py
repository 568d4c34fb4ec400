"""Signing in and out of the web mail.

Purpose: the same address and password as IMAP, POP3 and SMTP, checked by
``tenancy.auth.login`` with the client's IP, so the web shares the protocols' throttling
and their one answer for every failure.

Invariants:
- A successful sign-in always makes a new session (and a new cookie and CSRF token);
  any session the browser presented before is deleted (no session fixation).
- The sign-in form is protected against login CSRF by a double-submit token: a random
  pre-login cookie that the form must repeat.
- Signing out deletes the session row, not just the cookie.
- Suspended and terminated accounts get the same "wrong address or password" answer as a
  wrong password (``tenancy.auth``).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from postroom.errors import AuthenticationFailed, Throttled
from postroom.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    same_origin,
    set_session_cookie,
    tokens_match,
)
from postroom.web.webmail.context import User, Webmail, safe_next


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._

    def login_page(request: Request, *, error: str | None = None, address: str = "",
                   status: int = 200) -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        response = webmail.render(request, "webmail/login.html", {
            "login_token": token, "error": error, "address": address,
            "next": safe_next(request.query_params.get("next")
                              or request.headers.get("x-next")),
        }, status=status)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                            secure=webmail.secure_cookies, path="/mail")
        return response

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        # Shown even to a signed-in browser: signing in again replaces its session.
        return login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form(max_fields=20)
        address = str(form.get("address") or "").strip()[:320]
        password = str(form.get("password") or "")[:1024]
        if not same_origin(request) or not tokens_match(
                request.cookies.get(LOGIN_COOKIE), str(form.get("login_token") or "")):
            return login_page(request, error=_("The sign-in form expired. Please try again."),
                              address=address, status=403)
        ip = request.client.host if request.client else None
        try:
            account = await webmail.tenancy.auth.login(address, password, ip=ip)
        except Throttled:
            return login_page(request, address=address, status=429, error=_(
                "Too many failed attempts. Wait a few minutes and try again."))
        except AuthenticationFailed:
            return login_page(request, address=address, status=401,
                              error=_("Wrong address or password."))
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await webmail.sessions.delete(old)
        token, _session = await webmail.sessions.create(account.id)
        response = webmail.redirect(safe_next(str(form.get("next") or "")))
        set_session_cookie(response, token, secure=webmail.secure_cookies)
        response.delete_cookie(LOGIN_COOKIE, path="/mail")
        return response

    @router.post("/logout")
    async def logout(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        await webmail.form(request, user)
        await webmail.sessions.delete(user.token)
        response = webmail.redirect("/mail/login", _("You have signed out."))
        clear_session_cookie(response, secure=webmail.secure_cookies)
        return response

    return router
