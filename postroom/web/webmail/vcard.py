"""Address book files: vCard (RFC 6350, and the 3.0 of RFC 2426) and CSV, both ways.

Purpose: import the address books people bring (phones, Thunderbird, Outlook and Google
exports) and export ours in forms they can take elsewhere.

Invariants: parsing never raises on any input and is bounded (``MAX_CONTACTS`` cards,
``MAX_INPUT`` bytes); a card without an e-mail address is skipped; exported CSV cells
that a spreadsheet would run as a formula get a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re

from postroom.store.userdata import Contact, NewContact

MAX_CONTACTS = 10_000
MAX_INPUT = 10 * 1024 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,")
            .replace(";", "\\;"))


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]  # RFC 6350 3.2
        else:
            lines.append(raw)
    return lines


def parse_vcards(data: bytes) -> list[NewContact]:
    """Contacts from one or more vCards; never raises."""
    text = data[:MAX_INPUT].decode("utf-8", "replace")
    contacts: list[NewContact] = []
    card: dict[str, list[str]] | None = None
    for line in _unfold(text):
        name, sep, value = line.partition(":")
        if not sep:
            continue
        prop = name.split(";", 1)[0].split(".")[-1].upper()  # group.PROP;params
        if prop == "BEGIN" and value.strip().upper() == "VCARD":
            card = {}
        elif prop == "END" and card is not None:
            contact = _card_contact(card)
            if contact is not None:
                contacts.append(contact)
                if len(contacts) >= MAX_CONTACTS:
                    break
            card = None
        elif card is not None and len(card) < 100:
            card.setdefault(prop, []).append(value)
    return contacts


def _card_contact(card: dict[str, list[str]]) -> NewContact | None:
    emails = [_unescape(v).strip() for v in card.get("EMAIL", [])]
    emails = [e.removeprefix("mailto:") for e in emails if e]
    if not emails or not _EMAIL.match(emails[0]):
        return None
    name = _unescape(card.get("FN", [""])[0]).strip()
    if not name and card.get("N"):
        parts = [_unescape(p) for p in card["N"][0].split(";")]
        name = " ".join(p for p in (parts[1:2] + parts[:1]) if p).strip()
    phone = _unescape(card.get("TEL", [""])[0]).removeprefix("tel:").strip()
    notes = _unescape(card.get("NOTE", [""])[0])
    return NewContact(name[:200], emails[0][:320], phone[:100], notes[:5000])


def to_vcards(contacts: list[Contact]) -> str:
    """vCard 3.0 (what most address books read), CRLF line ends."""
    out = []
    for c in contacts:
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(c.name or c.email)}",
                 f"N:{_escape(c.name)};;;;", f"EMAIL;TYPE=INTERNET:{_escape(c.email)}"]
        if c.phone:
            lines.append(f"TEL:{_escape(c.phone)}")
        if c.notes:
            lines.append(f"NOTE:{_escape(c.notes)}")
        lines.append("END:VCARD")
        out.append("\r\n".join(lines))
    return "\r\n".join(out) + ("\r\n" if out else "")


_NAME_COLUMNS = ("name", "full name", "display name", "fn", "nom")
_EMAIL_COLUMNS = ("email", "e-mail", "email address", "e-mail address", "primary email",
                  "e-mail 1 - value", "email 1", "mail")
_PHONE_COLUMNS = ("phone", "telephone", "mobile", "mobile phone", "phone 1 - value",
                  "primary phone")
_NOTES_COLUMNS = ("notes", "note", "comments")


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def parse_csv(data: bytes) -> list[NewContact]:
    """Contacts from a CSV file with a header row; never raises."""
    text = data[:MAX_INPUT].decode("utf-8-sig", "replace")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return []
    if not rows:
        return []
    header, body = rows[0], rows[1:MAX_CONTACTS + 1]
    email_at = _find(header, _EMAIL_COLUMNS)
    if email_at is None:
        return []
    name_at = _find(header, _NAME_COLUMNS)
    first_at, last_at = _find(header, ("first name", "given name")), _find(
        header, ("last name", "family name", "surname"))
    phone_at, notes_at = _find(header, _PHONE_COLUMNS), _find(header, _NOTES_COLUMNS)

    def cell(row: list[str], at: int | None) -> str:
        return row[at].strip() if at is not None and at < len(row) else ""

    out = []
    for row in body:
        email = cell(row, email_at)
        if not _EMAIL.match(email):
            continue
        name = cell(row, name_at) or " ".join(
            p for p in (cell(row, first_at), cell(row, last_at)) if p)
        out.append(NewContact(name[:200], email[:320], cell(row, phone_at)[:100],
                              cell(row, notes_at)[:5000]))
    return out


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(contacts: list[Contact]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Name", "E-mail Address", "Phone", "Notes"])
    for c in contacts:
        writer.writerow([_safe_cell(v) for v in (c.name, c.email, c.phone, c.notes)])
    return buffer.getvalue()


def parse_any(filename: str, data: bytes) -> list[NewContact]:
    """vCard if it looks like one (by name or content), else CSV."""
    if filename.lower().endswith((".vcf", ".vcard")) or b"BEGIN:VCARD" in data[:4096].upper():
        return parse_vcards(data)
    return parse_csv(data)
