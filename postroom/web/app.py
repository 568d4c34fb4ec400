"""The ASGI application: one app for the web mail, admin, operator, API and public pages.

Built by ``postroom.app`` with the services it needs (no module-level state). The
sub-applications (``/mail``, ``/admin``, ``/operator``, ``/apply``, ``/api/v1``) are
mounted here as they are built; every response carries the security headers of DESIGN
section 7.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from postroom import __version__
from postroom.store.mailboxes import MailStore
from postroom.tenancy import Tenancy

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(tenancy: Tenancy, mail: MailStore, secret_key: str, *, dev: bool) -> FastAPI:
    app = FastAPI(title="Postroom", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.add_middleware(SecurityHeaders)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.tenancy = tenancy
    app.state.mail = mail

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", {"version": __version__})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        async with mail.db.read():
            pass
        return JSONResponse({"status": "ok", "version": __version__})

    return app
