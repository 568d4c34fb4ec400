"""A corpus of hostile HTML mails rendered in Chromium, once with each defence alone.

Layer 1, the sanitiser alone: ``sanitise()`` output served as an ordinary page with no
CSP and no sandbox. Layer 2, the frame alone: the raw, unsanitised mail served with the
frame CSP (``security.frame_csp``) inside an iframe sandboxed as the reading page does.
Either way no script may run (no dialog, no console message written by script) and,
with images blocked, no request may reach the listener the payloads point at.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from postroom.web.security import frame_csp
from postroom.web.webmail.sanitize import frame_document, sanitise
from tests.browser.conftest import ARGS, CHROMIUM, require_browser

JS = "alert(1);console.log('pwned');fetch('{u}/js')"

_TEMPLATES = [
    "<script>{js}</script>",
    "<script src='{u}/s.js'></script>",
    "<img src=x onerror=\"{js}\">",
    "<img src='{u}/img.png'>",
    "<img srcset='{u}/set.png 1x'>",
    "<picture><source srcset='{u}/src.png'><img></picture>",
    "<body onload=\"{js}\">",
    "<svg onload=\"{js}\"></svg>",
    "<svg><script>{js}</script></svg>",
    "<svg><image href='{u}/svgimg.png'/></svg>",
    "<svg><a xlink:href='javascript:{js}'><text y=20>x</text></a></svg>",
    "<svg><animate onbegin=\"{js}\" attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"{js}\">",
    "<math href='javascript:{js}'>x</math>",
    "<a href='javascript:{js}' id=l>click</a>",
    "<a href='data:text/html,<script>{js}</script>'>d</a>",
    "<iframe src='{u}/frame'></iframe>",
    "<iframe srcdoc=\"<script>{js}</script>\"></iframe>",
    "<object data='{u}/obj'></object>",
    "<embed src='{u}/embed'>",
    "<link rel=stylesheet href='{u}/css.css'>",
    "<link rel=prefetch href='{u}/prefetch'>",
    "<style>@import '{u}/import.css';</style>",
    "<style>body{{background:url('{u}/bg.png')}}</style>",
    "<div style=\"background-image:url('{u}/divbg.png')\">x</div>",
    "<div style=\"background:url(&#39;{u}/ent.png&#39;)\">x</div>",
    "<div style=\"list-style-image:url({u}/list.png)\"><li>x</li></div>",
    "<div style=\"behavior:url({u}/htc)\">x</div>",
    "<table background='{u}/tbl.png'><tr><td>x</td></tr></table>",
    "<td background='{u}/td.png'>x</td>",
    "<video poster='{u}/poster.png'></video>",
    "<audio src='{u}/a.mp3' autoplay></audio>",
    "<input type=image src='{u}/input.png'>",
    "<form action='{u}/form'><button>go</button></form>",
    "<form><input autofocus onfocus=\"{js}\"></form>",
    "<base href='{u}/'><img src='relative.png'>",
    "<meta http-equiv=refresh content='0;url={u}/refresh'>",
    "<meta http-equiv=refresh content=\"0;url=javascript:{js}\">",
    "<details open ontoggle=\"{js}\">x</details>",
    "<marquee onstart=\"{js}\">x</marquee>",
    "<div onmouseover=\"{js}\">x</div>",
    "<p style=\"x:expression({js})\">x</p>",
    "<noscript><p title=\"</noscript><img src=x onerror={js}>\"></noscript>",
    "<template><script>{js}</script></template>",
    "<!--<img src=\"--><img src=x onerror=\"{js}\">-->",
    "<img src=\"x\" onerror=\"&#97;lert(1);fetch('{u}/ent')\">",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<a href=' javascript:{js}'>sp</a>",
    "<a href='jav&#x09;ascript:{js}'>tab</a>",
    "<img src='//127.0.0.1:{port}/schemeless.png'>",
    "<font face=\"x\" style=\"font-family:url({u}/font)\">x</font>",
    "<div style=\"content:url({u}/content.png)\">x</div>",
    "<div style=\"border-image:url({u}/border.png) 30\">x</div>",
    "<div style=\"cursor:url({u}/cur.cur),auto\">x</div>",
    "<img src='data:image/svg+xml,<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{js}\"/>'>",
    "<object data='data:text/html,<script>{js}</script>'></object>",
    "<isindex action='javascript:{js}' type=image>",
    "<xss onclick=\"{js}\" style=display:block>x</xss>",
]
_WRAPPERS = [
    "{p}",
    "<html><head>{p}</head><body>text</body></html>",
    "<div><table><tr><td>{p}</td></tr></table></div>",
    "<p>before</p>{p}<p>after</p>",
]


def corpus(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}"
    payloads = []
    for template, wrapper in itertools.product(_TEMPLATES, _WRAPPERS):
        body = template.format(u=url, js=JS.format(u=url), port=port)
        payloads.append(wrapper.format(p=body))
    return payloads


class Listener:
    """Records every request to a loopback port: any request is a leak.

    A bare TCP connection that sends nothing is Chromium's speculative preconnect (seen
    rarely, and not reproducibly, while pages are swapped every few milliseconds); it
    carries no request and is kept apart in ``preconnects``.
    """

    def __init__(self) -> None:
        self.hits: list[bytes] = []
        self.preconnects = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        if line:
            self.hits.append(line)
        else:
            self.preconnects += 1
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    found = Listener()
    found.server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    try:
        yield found
    finally:
        found.server.close()


class PageServer:
    """Serves the page under test from a real loopback address (Chromium's local-network
    rules treat intercepted responses as public and would block the payloads' requests
    themselves, hiding a leak)."""

    def __init__(self) -> None:
        self.html = ""
        self.headers: dict[str, str] = {}
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        if b" /parent " in request:
            body = (b"<!doctype html><iframe sandbox='allow-popups "
                    b"allow-popups-to-escape-sandbox' src='/frame'></iframe>")
            headers: dict[str, str] = {}
        else:
            body, headers = self.html.encode(), self.headers
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n"
                     .encode() + body)
        await writer.drain()
        writer.close()

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


async def _render_all(pages: list[tuple[str, dict[str, str]]], framed: bool) -> list[str]:
    """Load each (html, headers) in Chromium; return dialogs and script console lines."""
    from playwright.async_api import async_playwright

    events: list[str] = []
    site = PageServer()
    site.server = await asyncio.start_server(site.handle, "127.0.0.1", 0)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=ARGS)
            page = await browser.new_page()
            page.on("dialog", lambda d: (events.append("dialog: " + d.message),
                                         asyncio.ensure_future(d.dismiss())))
            page.on("console", lambda m: events.append("console: " + m.text)
                    if "pwned" in m.text else None)
            for html, headers in pages:
                site.html, site.headers = html, headers
                await page.goto(site.origin + ("/parent" if framed else "/frame"),
                                wait_until="load")
                await page.mouse.move(30, 30)  # mouseover handlers
                await page.wait_for_timeout(20)
            await page.wait_for_timeout(1500)  # late timers and refreshes
            await browser.close()
    finally:
        site.server.close()
    return events


async def test_corpus_is_large_enough(listener: Listener) -> None:
    assert len(corpus(listener.port)) >= 200


async def test_the_sanitiser_alone_stops_every_payload(listener: Listener) -> None:
    require_browser()
    pages = [(frame_document(sanitise(html).html), {}) for html in corpus(listener.port)]
    events = await _render_all(pages, framed=False)
    assert events == []
    assert listener.hits == []


async def test_the_frame_csp_and_sandbox_alone_stop_every_payload(listener: Listener) -> None:
    require_browser()
    headers = {"Content-Security-Policy": frame_csp(False)}
    pages = [(html, headers) for html in corpus(listener.port)]
    events = await _render_all(pages, framed=True)
    assert events == []
    assert listener.hits == []


async def test_without_either_layer_the_corpus_does_run(listener: Listener) -> None:
    """The control: the same harness sees scripts and requests when nothing stops them."""
    require_browser()
    pages = [(html, {}) for html in corpus(listener.port)[:16]]
    events = await _render_all(pages, framed=False)
    assert any(e.startswith("dialog:") for e in events)
    assert any("pwned" in e for e in events)
    assert listener.hits
