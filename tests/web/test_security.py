"""Web mail security: headers, CSP, cookies, sessions, sign-in rules and CSRF on every
state-changing route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from postroom.store.records import AccountStatus
from postroom.store.websessions import WebSessions
from postroom.web.app import create_app
from postroom.web.security import SESSION_COOKIE, content_disposition, safe_ascii_filename
from tests.factories import PASSWORD
from tests.web.conftest import Web, client_for, csrf_of, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "postroom" / "web" / "templates"


async def test_pages_carry_a_strict_csp_and_security_headers(signed_in: Web) -> None:
    for url in ("/mail/login", "/mail", "/mail/compose", "/mail/settings/account"):
        response = await signed_in.client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path


async def test_session_cookie_is_httponly_and_strict(web: Web) -> None:
    response = await web.sign_in()
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # development serves plain HTTP


async def test_session_cookie_is_secure_outside_development(web: Web) -> None:
    app = create_app(web.services.tenancy, web.services.mail, "k" * 40, dev=False)
    async with client_for(app) as client:
        client.base_url = "https://testserver"  # type: ignore[assignment]
        response = await sign_in(client, "ann@example.org", PASSWORD)
        cookie = next(c for c in response.headers.get_list("set-cookie")
                      if c.startswith(SESSION_COOKIE + "="))
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert "strict" in cookie.lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_sign_in_rotates_the_session(signed_in: Web) -> None:
    client = signed_in.client
    old = client.cookies[SESSION_COOKIE]
    await signed_in.sign_in()
    new = client.cookies[SESSION_COOKIE]
    assert new != old
    async with client_for(signed_in.app) as stale:
        stale.cookies.set(SESSION_COOKIE, old)
        response = await stale.get("/mail")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/mail/login")


async def test_sign_out_ends_the_session_on_the_server(signed_in: Web) -> None:
    client = signed_in.client
    token = client.cookies[SESSION_COOKIE]
    page = await client.get("/mail", follow_redirects=True)
    response = await client.post("/mail/logout", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert await WebSessions(signed_in.services.db).find(token) is None
    async with client_for(signed_in.app) as replay:
        replay.cookies.set(SESSION_COOKIE, token)
        assert (await replay.get("/mail")).status_code == 303


async def test_wrong_password_and_unknown_user_get_the_same_answer(web: Web) -> None:
    wrong = await web.sign_in(password="not the password")
    unknown = await web.sign_in(address="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong address or password." in wrong.text
    assert "Wrong address or password." in unknown.text
    assert SESSION_COOKIE not in web.client.cookies


@pytest.mark.parametrize("status", [AccountStatus.SUSPENDED, AccountStatus.TERMINATED])
async def test_suspended_and_terminated_accounts_cannot_sign_in(web: Web,
                                                                status: AccountStatus) -> None:
    await web.services.tenancy.accounts.set_status("ann@example.org", status)
    response = await web.sign_in()
    assert response.status_code == 401
    assert SESSION_COOKIE not in web.client.cookies


async def test_suspension_ends_a_running_session(signed_in: Web) -> None:
    await signed_in.services.tenancy.accounts.set_status("ann@example.org",
                                                         AccountStatus.SUSPENDED)
    response = await signed_in.client.get("/mail/compose")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/mail/login")


async def test_sign_in_form_needs_its_token(web: Web) -> None:
    response = await web.client.post("/mail/login", data={
        "address": "ann@example.org", "password": PASSWORD, "login_token": "forged"})
    assert response.status_code == 403
    assert SESSION_COOKIE not in web.client.cookies


async def test_redirect_after_sign_in_stays_on_the_site(web: Web) -> None:
    page = await web.client.get("/mail/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token
    response = await web.client.post("/mail/login", data={
        "address": "ann@example.org", "password": PASSWORD, "login_token": token.group(1),
        "next": "//evil.example/"})
    assert response.headers["location"] == "/mail"


def _post_routes(web: Web) -> list[str]:
    """Every POST path of the web mail, with ids filled in."""
    found: list[tuple[str, set[str]]] = []
    for route in web.app.routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's included router: our routes under /mail
            found += [("/mail" + r.path, set(r.methods or ())) for r in included.routes]
        else:
            found.append((getattr(route, "path", ""), set(getattr(route, "methods", ()) or ())))
    return [re.sub(r"\{[^}]+\}", "1", path) for path, methods in found
            if "POST" in methods and path.startswith("/mail") and path != "/mail/login"]


async def test_every_state_changing_route_refuses_a_request_without_the_token(
        signed_in: Web) -> None:
    paths = _post_routes(signed_in)
    assert len(paths) >= 22  # every POST the web mail has
    for path in paths:
        response = await signed_in.client.post(path, data={"action": "delete", "msg": "1:1"})
        assert response.status_code == 403, path
        forged = await signed_in.client.post(path, data={"csrf": "forged", "action": "delete"})
        assert forged.status_code == 403, path


async def test_a_valid_token_from_another_site_is_refused(signed_in: Web) -> None:
    page = await signed_in.client.get("/mail", follow_redirects=True)
    response = await signed_in.client.post(
        "/mail/messages", data={"csrf": csrf_of(page.text), "action": "read", "msg": "1:1"},
        headers={"origin": "https://evil.example"})
    assert response.status_code == 403


async def test_routes_need_a_session(web: Web) -> None:
    for url in ("/mail", "/mail/f/1", "/mail/m/1/1", "/mail/m/1/1/part/2", "/mail/compose",
                "/mail/contacts-export.csv", "/mail/settings/filters"):
        response = await web.client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/mail/login?next=")
    assert (await web.client.get("/mail/addresses?q=a",
                                 headers={"accept": "application/json"})).status_code == 401


def test_download_names_are_safe_and_encoded() -> None:
    assert content_disposition("report.pdf") == 'attachment; filename="report.pdf"'
    value = content_disposition('Résumé "final".pdf')
    assert value.startswith('attachment; filename="Resume _final_.pdf"; ')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf" in value
    traversal = content_disposition("../../etc/passwd")
    assert 'filename="passwd"' in traversal
    header_split = content_disposition("a\r\nSet-Cookie: x=1.txt")
    assert "\r" not in header_split and "\n" not in header_split
    assert content_disposition("", fallback="attachment") == \
        'attachment; filename="attachment"'
    assert safe_ascii_filename("日本語.txt") == "txt"
