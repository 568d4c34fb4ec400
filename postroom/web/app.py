"""The ASGI application: one app for the web mail, admin, operator, API and public pages.

Built by ``postroom.app`` with the services it needs (no module-level state). The
sub-applications (``/mail``, ``/admin``, ``/operator``, ``/apply``, ``/api/v1``) are
mounted here as they are built; every response carries the security headers of DESIGN
section 7 (``postroom.web.security``); ``/static`` serves the hand-written CSS and
scripts (no build step).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from postroom import __version__
from postroom.store.mailboxes import MailStore
from postroom.tenancy import Tenancy
from postroom.web.security import SECURITY_HEADERS, SecurityHeaders
from postroom.web.webmail import mount_webmail
from postroom.web.webmail.context import Submit

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

__all__ = ["SECURITY_HEADERS", "create_app"]


def create_app(tenancy: Tenancy, mail: MailStore, secret_key: str, *, dev: bool,
               submit: Submit | None = None) -> FastAPI:
    """The whole web app; ``submit`` is the delivery package's submission path."""
    app = FastAPI(title="Postroom", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.add_middleware(SecurityHeaders, secure=not dev)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.tenancy = tenancy
    app.state.mail = mail
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.state.webmail = mount_webmail(app, tenancy, mail, templates=TEMPLATES,
                                      secure_cookies=not dev, submit=submit)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", {"version": __version__})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        async with mail.db.read():
            pass
        return JSONResponse({"status": "ok", "version": __version__})

    return app
