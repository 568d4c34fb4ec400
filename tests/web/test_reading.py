"""Reading: the sanitiser, the sandboxed frame and its CSP, remote images, cid: images,
attachments with safe download headers, source, print and the read flag."""

from __future__ import annotations

from email.message import EmailMessage

from postroom.store.records import Target
from postroom.web.webmail.sanitize import InlineImages, sanitise
from tests.web.conftest import Web, csrf_of

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e221bc330000000049454e44ae426082")

HOSTILE = """<html><head><title>t</title><style>body{background:url(http://evil.test/css)}</style>
<base href="http://evil.test/"><meta http-equiv="refresh" content="0;url=http://evil.test/">
<script>alert(1)</script></head><body onload="alert(2)">
<p onclick="alert(3)" style="color:red;background-image:url(http://evil.test/bg)">
Hello <b>there</b></p>
<a href="javascript:alert(4)">js</a> <a href="data:text/html,<script>alert(5)</script>">data</a>
<a href="https://example.com/ok">ok link</a>
<img src="http://evil.test/track.png" onerror="alert(6)"> <img src="cid:logo@x">
<svg><script>alert(7)</script></svg><math><mtext><img src=x onerror=alert(8)></mtext></math>
<iframe src="http://evil.test/frame"></iframe><form action="http://evil.test/"><input name=p></form>
<object data="http://evil.test/o"></object><div id="x" style="position:fixed">fixed</div>
</body></html>"""


def hostile_message(filename: str = "Résumé \"final\".pdf") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@evil.test>"
    msg["To"] = "ann@example.org"
    msg["Subject"] = "Hostile"
    msg["Message-ID"] = "<hostile@evil.test>"
    msg.set_content("Plain version with https://example.com/plain link.\n")
    msg.add_alternative(HOSTILE, subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<logo@x>")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename=filename)
    msg.add_attachment(b"<script>alert(9)</script>", maintype="text", subtype="html",
                       filename="page.html")
    return msg.as_bytes()


def test_sanitiser_removes_scripts_handlers_and_dangerous_urls() -> None:
    result = sanitise(HOSTILE, inline=InlineImages({"logo@x": lambda: ("image/png", PNG)}))
    html = result.html.lower()
    for bad in ("<script", "onload", "onclick", "onerror", "javascript:", "data:text",
                "<svg", "<math", "<iframe", "<form", "<input", "<object", "<base", "<meta",
                "<style", "url(", "evil.test", "position", ' id="'):
        assert bad not in html, bad
    assert "hello <b>there</b>" in html
    assert 'href="https://example.com/ok"' in html and 'rel="noopener noreferrer"' in html
    assert 'src="data:image/png;base64,' in html  # the cid: image, inlined
    assert result.blocked_images == 1


def test_sanitiser_keeps_remote_images_only_when_asked() -> None:
    shown = sanitise('<img src="https://img.example/a.png">', allow_remote=True)
    assert 'src="https://img.example/a.png"' in shown.html and shown.blocked_images == 0
    hidden = sanitise('<img src="https://img.example/a.png"><img src="//img.example/b">')
    assert "img.example" not in hidden.html and hidden.blocked_images == 2
    svg = sanitise('<img src="data:image/svg+xml;base64,PHN2Zz4=">', allow_remote=True)
    assert "svg" not in svg.html


async def _deliver(web: Web, raw: bytes) -> tuple[int, int]:
    await web.services.mail.deliver(raw, [Target(web.ann.id)])
    inbox = await web.services.mail.get_folder(web.ann.id, "INBOX")
    rows = await web.services.mail.messages(web.ann.id, inbox.id)
    return inbox.id, rows[-1].uid


async def test_message_page_frames_the_sanitised_body(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    page = await signed_in.client.get(f"/mail/m/{folder}/{uid}")
    assert page.status_code == 200
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "allow-scripts" not in page.text and "allow-same-origin" not in page.text
    assert "1 remote image was blocked" in page.text
    assert "alert(" not in page.text
    frame = await signed_in.client.get(f"/mail/m/{folder}/{uid}/frame")
    csp = frame.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "img-src data:;" in csp
    assert "script-src" not in csp  # falls back to default-src 'none'
    assert "sandbox allow-popups" in csp and "allow-scripts" not in csp
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in csp
    assert "<script" not in frame.text.lower() and "evil.test" not in frame.text
    assert "data:image/png;base64," in frame.text


async def test_remote_images_for_this_message_or_always_for_the_sender(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    client = signed_in.client
    once = await client.get(f"/mail/m/{folder}/{uid}/frame?images=1")
    assert "http://evil.test/track.png" in once.text
    assert "img-src data: https: http:" in once.headers["content-security-policy"]
    assert "evil.test" not in (await client.get(f"/mail/m/{folder}/{uid}/frame")).text
    page = await client.get(f"/mail/m/{folder}/{uid}")
    response = await client.post(f"/mail/m/{folder}/{uid}/images",
                                 data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    always = await client.get(f"/mail/m/{folder}/{uid}/frame")
    assert "http://evil.test/track.png" in always.text
    assert "mallory@evil.test" in (await client.get("/mail/settings/privacy")).text


async def test_plain_text_view_links_and_escapes(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    page = await signed_in.client.get(f"/mail/m/{folder}/{uid}?view=text")
    assert '<a href="https://example.com/plain" target="_blank"' in page.text
    assert "<iframe" not in page.text


async def test_opening_a_message_marks_it_read(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    await signed_in.client.get(f"/mail/m/{folder}/{uid}")
    rows = await signed_in.services.mail.messages(signed_in.ann.id, folder, [uid])
    assert "\\Seen" in rows[0].flags


async def test_attachments_download_with_safe_headers(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    page = await signed_in.client.get(f"/mail/m/{folder}/{uid}")
    assert "Résumé &#34;final&#34;.pdf" in page.text or "Résumé &quot;final&quot;.pdf" in page.text
    pdf = await signed_in.client.get(f"/mail/m/{folder}/{uid}/part/2")
    assert pdf.content == b"%PDF-1.4 fake"
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-type-options"] == "nosniff"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Resume _final_.pdf"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf" in disposition
    html = await signed_in.client.get(f"/mail/m/{folder}/{uid}/part/3")
    assert html.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in html.headers["content-security-policy"]
    # Body parts that are not attachments are not served by this route.
    assert (await signed_in.client.get(f"/mail/m/{folder}/{uid}/part/1.1")).status_code == 404


async def test_source_download_and_print(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message())
    source = await signed_in.client.get(f"/mail/m/{folder}/{uid}/source")
    assert source.headers["content-type"].startswith("text/plain")
    assert source.headers["x-content-type-options"] == "nosniff"
    assert "Subject: Hostile" in source.text
    eml = await signed_in.client.get(f"/mail/m/{folder}/{uid}/download")
    assert eml.headers["content-disposition"] == 'attachment; filename="Hostile.eml"'
    row = (await signed_in.services.mail.messages(signed_in.ann.id, folder, [uid]))[0]
    assert eml.content == await signed_in.services.mail.read_message(row)
    printed = await signed_in.client.get(f"/mail/m/{folder}/{uid}/print")
    assert '<script src="/static/print.js"' in printed.text
    assert "Plain version" in printed.text


async def test_attachment_with_a_path_in_its_name(signed_in: Web) -> None:
    folder, uid = await _deliver(signed_in, hostile_message(filename="../../etc/passwd"))
    response = await signed_in.client.get(f"/mail/m/{folder}/{uid}/part/2")
    assert response.headers["content-disposition"] == 'attachment; filename="passwd"'
