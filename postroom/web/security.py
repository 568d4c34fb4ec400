"""HTTP security for every page: headers, session cookies, CSRF checks, download headers.

Purpose: the rules of DESIGN section 7 in one place, so each route only says which of
them it needs.

Invariants:
- Every response carries ``SECURITY_HEADERS`` unless a route set its own value for a
  header (the message frame sets a stricter CSP and allows same-origin framing).
- The page CSP has no ``'unsafe-inline'`` for scripts or styles: templates carry no
  inline script, no ``style`` attribute and no event-handler attribute.
- The session cookie is HttpOnly, SameSite=Strict, Path=/, and Secure outside
  development; it holds only the random token (``store.websessions``).
- CSRF tokens are compared in constant time; a state-changing request without the
  session's token is refused before it does anything.
- Download names are made safe: no quotes, backslashes, control characters or path
  separators in the ASCII ``filename``; the real name goes in ``filename*`` (RFC 6266
  4.3, RFC 5987 3.2).
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "postroom_session"
LOGIN_COOKIE = "postroom_login"
FLASH_COOKIE = "postroom_flash"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

#: Headers of every attachment, source and other raw download.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}

_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9 !#$&+,.\-;=@^_`{}~()\[\]]')
_MAX_NAME = 150


def frame_csp(remote_images: bool) -> str:
    """CSP of a sanitised mail body inside the sandboxed iframe: never any script, and no
    request leaves the page unless the user chose to show remote images."""
    images = "data: https: http:" if remote_images else "data:"
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; "
        "font-src 'none'; media-src 'none'; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    )


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds ``SECURITY_HEADERS`` (and no-store for signed-in pages) to every response."""

    def __init__(self, app: object, *, secure: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.secure = secure

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if self.secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.url.path.startswith("/mail"):
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=secure, samesite="strict",
                        path="/")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True,
                           samesite="strict")


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def same_origin(request: Request) -> bool:
    """False if the browser says the request came from another site (defence in depth).

    Fetch metadata (``Sec-Fetch-Site``) first; else ``Origin``. With ``Referrer-Policy:
    no-referrer`` Chromium sends ``Origin: null`` for our own forms, so "null" and a
    missing Origin are left to the CSRF token, which is always required.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.split("://", 1)[-1] == request.headers.get("host", "")


def safe_ascii_filename(name: str) -> str:
    """An ASCII stand-in for ``name``: accents dropped, anything unsafe as ``_``."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _UNSAFE_ASCII.sub("_", ascii_name).strip(" .")
    return (ascii_name or "download")[:_MAX_NAME]


def content_disposition(name: str | None, *, fallback: str = "download",
                        disposition: str = "attachment") -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266, RFC 5987)."""
    name = (name or "").strip()
    cleaned = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip(" .")[:_MAX_NAME]
    if not cleaned:
        cleaned = fallback
    ascii_name = safe_ascii_filename(cleaned)
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != cleaned:
        value += "; filename*=UTF-8''" + quote(cleaned, safe="")
    return value
