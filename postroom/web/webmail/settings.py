"""Settings: profile and signature, password, vacation reply, forwarding, filters, images.

Purpose: the user's own settings, written through ``tenancy.preferences`` (which knows
whether the organisation allows forwarding) and ``tenancy.accounts`` (display name,
password). What is stored here the delivery path applies (see ``store.userdata``).

Invariants:
- Changing the password needs the current password, checked by ``tenancy.auth.login``
  (throttled like every sign-in); afterwards every other session of the account ends
  and this browser gets a new session (rotation).
- Every change is a CSRF-checked POST scoped to the signed-in account.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from postroom.errors import AuthenticationFailed, Invalid, PostroomError, Throttled
from postroom.store.userdata import FilterAction, FilterField, SettingName, Vacation
from postroom.web.security import set_session_cookie
from postroom.web.webmail.context import User, Webmail


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()
    _ = webmail._
    data = webmail.userdata
    prefs = webmail.preferences

    async def tab(request: Request, user: User, name: str, **context: object) -> Response:
        return await webmail.page(request, user, f"webmail/settings_{name}.html",
                                  {"tab": name, **context})

    @router.get("/settings")
    async def settings_home(user: User = Depends(webmail.current_user)) -> Response:
        return webmail.redirect("/mail/settings/account")

    @router.get("/settings/account")
    async def account(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        return await tab(request, user, "account",
                         signature=await data.signature(user.id),
                         compose_format=await data.setting(user.id, SettingName.COMPOSE_FORMAT,
                                                           "html"),
                         identities=await webmail.tenancy.accounts.send_as_addresses(
                             user.account))

    @router.post("/settings/profile")
    async def profile(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        try:
            await webmail.tenancy.accounts.set_display_name(
                user.account.address, str(form.get("display_name") or ""))
            await prefs.set_signature(user.account, str(form.get("signature") or ""))
            fmt = "html" if form.get("compose_format") == "html" else "text"
            await data.set_setting(user.id, SettingName.COMPOSE_FORMAT, fmt)
        except PostroomError as exc:
            return webmail.done(request, "/mail/settings/account", exc.message, error=True)
        return webmail.done(request, "/mail/settings/account", _("Your settings are saved."))

    @router.post("/settings/password")
    async def password(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        current = str(form.get("current") or "")
        new, again = str(form.get("new") or ""), str(form.get("again") or "")
        back = "/mail/settings/account"
        if new != again:
            return webmail.done(request, back, _("The two new passwords are not the same."),
                                error=True)
        ip = request.client.host if request.client else None
        try:
            await webmail.tenancy.auth.login(user.account.address, current, ip=ip)
        except Throttled:
            return webmail.done(request, back, _("Too many failed attempts. Wait a few "
                                                 "minutes and try again."), error=True)
        except AuthenticationFailed:
            return webmail.done(request, back, _("Your current password is not right."),
                                error=True)
        try:
            await webmail.tenancy.accounts.set_password(user.account.address, new)
        except Invalid as exc:
            return webmail.done(request, back, exc.message, error=True)
        await webmail.sessions.delete_for_account(user.id)
        token, _session = await webmail.sessions.create(user.id)
        response = webmail.redirect(back, _("Your password is changed. Other sessions were "
                                            "signed out."))
        set_session_cookie(response, token, secure=webmail.secure_cookies)
        return response

    @router.get("/settings/away")
    async def away(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        return await tab(request, user, "away", vacation=await data.vacation(user.id),
                         forwarding=await data.forwarding(user.id),
                         forwarding_allowed=await prefs.forwarding_allowed(user.account))

    @router.post("/settings/vacation")
    async def vacation(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        value = Vacation(enabled=form.get("enabled") == "1", start=_day(form.get("start")),
                         end=_day(form.get("end")), subject=str(form.get("subject") or ""),
                         body=str(form.get("body") or "").replace("\r\n", "\n"))
        try:
            await prefs.set_vacation(user.account, value)
        except PostroomError as exc:
            return webmail.done(request, "/mail/settings/away", exc.message, error=True)
        text = _("Your vacation reply is on.") if value.enabled else _("Vacation reply saved "
                                                                       "(off).")
        return webmail.done(request, "/mail/settings/away", text)

    @router.post("/settings/forwarding")
    async def forwarding(request: Request,
                         user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        address = str(form.get("address") or "") if form.get("enabled") == "1" else ""
        try:
            await prefs.set_forwarding(user.account, address, form.get("keep_copy") == "1")
        except PostroomError as exc:
            return webmail.done(request, "/mail/settings/away", exc.message, error=True)
        text = (_("Mail is forwarded to %(address)s.", address=address.strip()) if address
                else _("Forwarding is off."))
        return webmail.done(request, "/mail/settings/away", text)

    @router.get("/settings/filters")
    async def filters(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        return await tab(request, user, "filters", filters=await data.filters(user.id),
                         fields=list(FilterField), actions=list(FilterAction),
                         forwarding_allowed=await prefs.forwarding_allowed(user.account))

    @router.post("/settings/filters")
    async def add_filter(request: Request,
                         user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        action = str(form.get("action") or "")
        argument = str(form.get("folder") if action == "move" else form.get("address") or "")
        try:
            await prefs.add_filter(user.account, str(form.get("field") or ""),
                                   str(form.get("contains") or ""), action, argument)
        except PostroomError as exc:
            return webmail.done(request, "/mail/settings/filters", exc.message, error=True)
        return webmail.done(request, "/mail/settings/filters", _("Filter added."))

    @router.post("/settings/filters/{filter_id}/delete")
    async def delete_filter(request: Request, filter_id: int,
                            user: User = Depends(webmail.current_user)) -> Response:
        await webmail.form(request, user)
        await data.delete_filter(user.id, filter_id)
        return webmail.done(request, "/mail/settings/filters", _("Filter deleted."))

    @router.post("/settings/filters/{filter_id}/enable")
    async def enable_filter(request: Request, filter_id: int,
                            user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        on = form.get("on") == "1"
        await data.set_filter_enabled(user.id, filter_id, on)
        return webmail.done(request, "/mail/settings/filters",
                            _("Filter turned on.") if on else _("Filter turned off."))

    @router.get("/settings/privacy")
    async def privacy(request: Request, user: User = Depends(webmail.current_user)) -> Response:
        return await tab(request, user, "privacy", senders=await data.image_senders(user.id))

    @router.post("/settings/images/remove")
    async def forbid_images(request: Request,
                            user: User = Depends(webmail.current_user)) -> Response:
        form = await webmail.form(request, user)
        sender = str(form.get("sender") or "")
        await data.forbid_images(user.id, sender)
        return webmail.done(request, "/mail/settings/privacy",
                            _("Images from %(sender)s are blocked again.", sender=sender))

    return router
