"""Browser tests: Debian's Chromium driven by Playwright against a live server.

The server is ``tests.web.live.running_node``: the web app with the real submission path
and the SMTP, IMAP and POP3 listeners, on free loopback ports in the test's event loop,
so tests send by SMTP, read by IMAP and deliver with the same ``Services`` the server
uses. Without /usr/bin/chromium (or the playwright package) the
tests are skipped with the reason, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from postroom.app import Services
from postroom.store.records import Account
from tests.factories import PASSWORD, make_account, make_org
from tests.web.live import running_node

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip with the reason when Chromium or Playwright is missing; fail under CI."""
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run under CI: {reason}")
    pytest.skip(reason)


@dataclass
class Browser:
    services: Services
    base: str
    browser: Any
    page: Any
    ann: Account
    bob: Account
    ports: dict[str, int] = field(default_factory=dict)  # smtp, submission, imap, ...
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    async def sign_in(self, page: Any = None, address: str = "ann@example.org") -> None:
        page = page or self.page
        await page.goto(self.base + "/mail/login")
        await page.get_by_label("E-mail address").fill(address)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/mail/f/*")

    async def new_page(self, **options: Any) -> Any:
        context = await self.browser.new_context(accept_downloads=True, **options)
        page = await context.new_page()
        self.watch(page)
        return page

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

        async def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            await dialog.accept()

        page.on("dialog", on_dialog)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


@pytest.fixture
async def web_browser(services: Services) -> AsyncIterator[Browser]:
    require_browser()
    from playwright.async_api import async_playwright

    await make_org(services)
    ann = await services.tenancy.accounts.add("ann@example.org", PASSWORD,
                                              quota=100 * 1024**2, display_name="Ann Example")
    bob = await make_account(services, "bob@example.org")
    async with running_node(services) as node, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(accept_downloads=True,
                                                viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            env = Browser(services, node.base, browser, page, ann, bob, node.ports)
            env.watch(page)
            yield env
        finally:
            await browser.close()


def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots when UPDATE_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
