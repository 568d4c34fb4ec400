"""Writing mail: build a message from the compose form, and prefill replies and forwards.

Purpose: pure functions between the compose page and the store/submission path: parse
recipient fields, build RFC 5322 bytes (text, or text + HTML alternative, with
attachments), and derive reply, reply-all, forward and draft fields from a stored
message.

Invariants:
- Recipient fields are parsed with the stdlib address parser and every address is
  checked (``canonical_address``); a bad one raises ``Invalid`` naming it.
- Headers are set through ``email.headerregistry`` objects, so names and subjects are
  encoded (RFC 2047) and quoted correctly; no user text is pasted into a header line.
- HTML written in the editor is sanitised with the same allow-list as received mail
  before it is stored or sent.
- Replies carry In-Reply-To and References (RFC 5322 3.6.4), subjects get one "Re:" or
  "Fwd:" prefix.
"""

from __future__ import annotations

import email.utils
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from postroom.errors import Invalid
from postroom.mail.addresses import canonical_address
from postroom.mail.bodies import html_to_text
from postroom.web.webmail.message_view import Person, people
from postroom.web.webmail.sanitize import sanitise

MAX_RECIPIENTS = 500
_RE_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:\s*", re.I)
_FWD_PREFIX = re.compile(r"^\s*(fwd?|wg|tr)\s*:\s*", re.I)
_SPECIALS = set('()<>[]:;@\\,."')


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes
    message: bool = False  # a whole message forwarded as an attachment


@dataclass
class Draft:
    """What the compose form holds."""

    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    text: str = ""
    html: str | None = None
    in_reply_to: str = ""
    references: str = ""
    attachments: list[NewAttachment] = field(default_factory=list)
    # A reply's quoted part, for the rich editor: the "On ... wrote:" line and the text.
    quote_head: str = ""
    quote_body: str = ""


def format_person(name: str, address: str) -> str:
    """``Name <addr>`` for a compose field, quoting names with specials (RFC 5322 3.2.4)."""
    name = name.strip()
    if not name:
        return address
    if any(c in _SPECIALS for c in name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def format_people(items: list[Person]) -> str:
    return ", ".join(format_person(p.name, p.address) for p in items)


def parse_recipients(text: str) -> list[tuple[str, str]]:
    """(name, canonical address) pairs of a To/Cc/Bcc field; Invalid names a bad one."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, address in email.utils.getaddresses([text.replace("\n", " ")]):
        if not address and not name:
            continue
        try:
            canonical = canonical_address(address)
        except Invalid:
            raise Invalid(f"'{address or name}' is not a valid e-mail address") from None
        if canonical not in seen:
            seen.add(canonical)
            out.append((name.strip(), canonical))
    if len(out) > MAX_RECIPIENTS:
        raise Invalid(f"a message can go to at most {MAX_RECIPIENTS} recipients")
    return out


def _addresses(pairs: list[tuple[str, str]]) -> list[Address]:
    result = []
    for name, addr in pairs:
        local, _, domain = addr.rpartition("@")
        result.append(Address(display_name=name, username=local, domain=domain))
    return result


def build_message(draft: Draft, *, display_name: str, now: datetime, for_sending: bool) -> bytes:
    """RFC 5322 bytes (CRLF) of ``draft``; drafts keep Bcc, sent messages do not."""
    msg = EmailMessage(policy=policy.SMTP)
    sender = canonical_address(draft.sender)
    msg["From"] = _addresses([(display_name, sender)])
    fields = [("To", draft.to), ("Cc", draft.cc)]
    if not for_sending:
        fields.append(("Bcc", draft.bcc))
    for header, value in fields:
        try:
            pairs = parse_recipients(value)
        except Invalid:
            if for_sending:
                raise
            # A draft keeps what was typed, to be corrected before sending.
            msg[header] = " ".join(value.split())[:2000]
            continue
        if pairs:
            msg[header] = _addresses(pairs)
    msg["Subject"] = draft.subject.replace("\r", " ").replace("\n", " ")[:900]
    msg["Date"] = email.utils.format_datetime(now)
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    parent = _msg_ids(draft.in_reply_to)
    if parent:
        msg["In-Reply-To"] = parent[-1]
    if draft.references:
        msg["References"] = " ".join(_msg_ids(draft.references)[-20:])
    msg["User-Agent"] = "Postroom web mail"
    text = draft.text.replace("\r\n", "\n")
    msg.set_content(text, cte=_cte(text))
    if draft.html is not None:
        msg.add_alternative(_html_document(draft.html), subtype="html",
                            cte=_cte(draft.html))
    for item in draft.attachments:
        _attach(msg, item)
    return msg.as_bytes()


def _cte(text: str) -> str:
    return "7bit" if text.isascii() and all(len(line) < 900 for line in text.split("\n")) \
        else "quoted-printable"


def _html_document(body: str) -> str:
    return ('<!doctype html><html><head><meta charset="utf-8"></head><body>'
            f"{body}</body></html>")


def _attach(msg: EmailMessage, item: NewAttachment) -> None:
    if item.message:
        try:
            inner = email.message_from_bytes(item.data, policy=policy.SMTP)
            msg.add_attachment(inner, filename=item.filename or "forwarded.eml")
            return
        except Exception:  # a message the email package cannot re-read: keep its bytes
            pass
    maintype, _, subtype = (item.content_type or "application/octet-stream").partition("/")
    if maintype in ("multipart", "message") or not subtype:
        maintype, subtype = "application", "octet-stream"
    msg.add_attachment(item.data, maintype=maintype, subtype=subtype,
                       filename=item.filename or "attachment")


def _msg_ids(text: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", text)


def clean_editor_html(html: str) -> str:
    """The editor's HTML with the received-mail allow-list applied (remote images kept)."""
    return sanitise(html, allow_remote=True).html


def plain_from_html(html: str) -> str:
    return html_to_text(html).strip() + "\n"


def text_to_html(text: str) -> str:
    return html_lib.escape(text).replace("\n", "<br>")


# --- replies and forwards ---------------------------------------------------------------


@dataclass
class Prefill:
    draft: Draft
    quote_html: str | None = None


def reply_subject(subject: str) -> str:
    return subject if _RE_PREFIX.match(subject) else f"Re: {subject}".strip()


def forward_subject(subject: str) -> str:
    return subject if _FWD_PREFIX.match(subject) else f"Fwd: {subject}".strip()


def quote_text(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.rstrip("\n").split("\n"))


def attribution(headers: dict[str, Any], date_text: str) -> str:
    senders = people(headers, "from")
    who = senders[0].full if senders else "someone"
    return f"On {date_text}, {who} wrote:"


def reply_prefill(headers: dict[str, Any], text: str, *, own: list[str], reply_all: bool,
                  date_text: str) -> Draft:
    """Recipients, subject, threading headers and quoted text of a reply."""
    h = headers
    reply_to = people(h, "reply_to") or people(h, "from")
    mine = {a.lower() for a in own}
    to = [p for p in reply_to if p.address.lower() not in mine] or reply_to
    cc: list[Person] = []
    if reply_all:
        taken = {p.address.lower() for p in to} | mine
        for p in people(h, "to") + people(h, "cc"):
            if p.address.lower() not in taken:
                taken.add(p.address.lower())
                cc.append(p)
    addressed = [p.address.lower() for p in people(h, "to") + people(h, "cc")]
    sender = next((a for a in own if a.lower() in addressed), own[0])
    message_id = str(h.get("message_id") or "")
    refs = [str(r) for r in (h.get("references") or [])]
    if message_id:
        refs.append(message_id)
    head = attribution(h, date_text)
    body = f"\n\n{head}\n{quote_text(text)}\n"
    return Draft(sender=sender, to=format_people(to), cc=format_people(cc),
                 subject=reply_subject(str(h.get("subject") or "")), text=body,
                 in_reply_to=message_id, references=" ".join(refs[-20:]),
                 quote_head=head, quote_body=text.rstrip("\n"))


def editor_html(draft: Draft, signature: str) -> str:
    """The rich editor's starting content: an empty line, signature, then the quote."""
    if draft.html is not None:
        return draft.html
    if not draft.quote_head:
        return text_to_html(draft.text)
    parts = ["<p><br></p>"]
    if signature:
        parts.append("<p>-- <br>" + text_to_html(signature.strip("\n")) + "</p>")
    parts.append(f"<p>{html_lib.escape(draft.quote_head)}</p>")
    parts.append(f"<blockquote>{text_to_html(draft.quote_body)}</blockquote>")
    return "".join(parts)


def forward_prefill(headers: dict[str, Any], text: str, *, own: list[str],
                    date_text: str) -> Draft:
    h = headers
    lines = ["", "", "---------- Forwarded message ----------"]
    for label, key in (("From", "from"), ("To", "to"), ("Cc", "cc")):
        found = people(h, key)
        if found:
            lines.append(f"{label}: {format_people(found)}")
    lines.append(f"Date: {date_text}")
    lines.append(f"Subject: {h.get('subject') or ''}")
    lines += ["", text.rstrip("\n"), ""]
    return Draft(sender=own[0], subject=forward_subject(str(h.get("subject") or "")),
                 text="\n".join(lines))


def draft_from_headers(headers: dict[str, Any], text: str, html: str | None,
                       own: list[str]) -> Draft:
    """Reopen a saved draft: its fields as the compose form holds them."""
    h = headers
    senders = people(h, "from")
    sender = senders[0].address if senders and senders[0].address in own else own[0]
    refs = " ".join(str(r) for r in (h.get("references") or []))
    return Draft(sender=sender, to=format_people(people(h, "to")),
                 cc=format_people(people(h, "cc")),
                 bcc=format_people(people(h, "bcc")),
                 subject=str(h.get("subject") or ""), text=text, html=html,
                 in_reply_to=str(h.get("in_reply_to") or ""), references=refs)
