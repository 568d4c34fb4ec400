"""What the reading pane shows of one message: headers, body parts, inline images.

Purpose: pick the parts a person reads from the stored MIME tree (the HTML part and
the plain-text alternative of the message itself, not of attached messages), decode
them, and collect the ``cid:`` images the HTML refers to.

Invariants: nothing here raises on any message (the tree comes from the never-raising
parser); bodies are decoded with the part's charset and cleaned of control characters;
HTML leaves this module only through ``sanitize.sanitise``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from postroom.mail.bodies import body_text, html_to_text
from postroom.mail.mime import Part
from postroom.mail.params import param
from postroom.mail.summary import Attachment, MessageSummary, decode_body, find_part
from postroom.web.webmail.sanitize import InlineImages, Sanitised, sanitise

MAX_TEXT_CHARS = 2_000_000
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


@dataclass(frozen=True)
class Person:
    name: str
    address: str

    @property
    def label(self) -> str:
        return self.name or self.address

    @property
    def full(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass(frozen=True)
class BodyParts:
    html: Part | None
    text: Part | None


def people(headers: dict[str, Any], name: str) -> list[Person]:
    out = []
    for item in headers.get(name) or []:
        if isinstance(item, dict) and item.get("address"):
            out.append(Person(str(item.get("name") or ""), str(item["address"])))
    return out


def _is_attachment(part: Part, attachments: set[str]) -> bool:
    return (part.number or "1") in attachments or part.disposition == "attachment"


def body_parts(root: Part, attachments: list[Attachment]) -> BodyParts:
    """The message's own HTML and plain-text parts (first found; alternatives: last HTML)."""
    attached = {a.part for a in attachments}
    html: Part | None = None
    text: Part | None = None

    def visit(part: Part, top: bool) -> None:
        nonlocal html, text
        if part.message is not None and not top:
            return  # an attached message: listed as an attachment, not shown inline
        if part.children:
            for child in part.children:
                visit(child, False)
            if part.subtype == "alternative":
                htmls = [c for c in part.children if c.content_type == "text/html"]
                if htmls and not _is_attachment(htmls[-1], attached):
                    html = htmls[-1] if html is None or html in part.children else html
            return
        if _is_attachment(part, attached) or part.type != "text":
            return
        if part.subtype == "html" and html is None:
            html = part
        elif part.subtype == "plain" and text is None:
            text = part

    visit(root, True)
    return BodyParts(html, text)


def part_text(raw: bytes, part: Part) -> str:
    return body_text(decode_body(raw, part), param(part.params, "charset"))[:MAX_TEXT_CHARS]


def inline_images(raw: bytes, root: Part) -> InlineImages:
    """Every part with a Content-ID, by id, loaded only when the HTML refers to it."""
    images = InlineImages()
    stack = [root]
    while stack:
        part = stack.pop()
        stack.extend(part.children)
        if part.id and not part.children:
            def load(p: Part = part) -> tuple[str, bytes]:
                return p.content_type, decode_body(raw, p)
            images.loaders[part.id.strip().strip("<>").lower()] = load
    return images


def render_html(raw: bytes, summary: MessageSummary, *, allow_remote: bool) -> Sanitised | None:
    parts = body_parts(summary.structure, list(summary.attachments))
    if parts.html is None:
        return None
    return sanitise(part_text(raw, parts.html), allow_remote=allow_remote,
                    inline=inline_images(raw, summary.structure))


def plain_text(raw: bytes, summary: MessageSummary) -> str | None:
    """The plain-text body, or the HTML body as text when there is no plain part."""
    parts = body_parts(summary.structure, list(summary.attachments))
    if parts.text is not None:
        return part_text(raw, parts.text)
    if parts.html is not None:
        return html_to_text(part_text(raw, parts.html)).strip()
    return None


def attachment_part(summary: MessageSummary, section: str) -> tuple[Attachment, Part] | None:
    """The listed attachment at ``section`` with its part (only listed ones are served)."""
    for attachment in summary.attachments:
        if attachment.part == section:
            part = find_part(summary.structure, section)
            if part is not None:
                return attachment, part
    return None


def split_links(text: str) -> list[tuple[str, bool]]:
    """``text`` as (chunk, is_link) pairs, so a template can link URLs and escape the rest."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _URL.finditer(text):
        if match.start() > pos:
            out.append((text[pos:match.start()], False))
        out.append((match.group(0), True))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out
