"""The IMAP ENVELOPE of a message (RFC 3501 7.4.2, RFC 9051 7.5.2), as plain data.

Purpose: read the ten envelope fields from a header block once, at delivery, so IMAP can
serve FETCH ENVELOPE and BODYSTRUCTURE without reparsing. No wire formatting here.

Invariants:

* Every string is *wire text* (see :mod:`postroom.mail.headers`): the unfolded, trimmed
  header value, undecoded (RFC 2047 encoded-words are left for the client, as RFC 3501
  requires), UTF-8 with ``surrogateescape``; ``headers.wire_bytes(s)`` gives the bytes.
* An address is a 4-tuple ``(name, adl, mailbox, host)`` with None for NIL. A group is
  ``(None, None, group name, None)`` before its members and ``(None, None, None, None)``
  after them (RFC 3501 7.4.2). A mailbox without a domain gets host
  ``.MISSING-HOST-NAME.`` and a domain without a local part gets mailbox
  ``MISSING_MAILBOX``, as in UW IMAP and Dovecot, so that only group markers have a NIL
  host.
* An absent header, or an address list with no addresses, is None (NIL). Sender and
  Reply-To default to From when absent or empty (RFC 3501 7.4.2).
* The first occurrence of a repeated field is used. Parsing never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from postroom.mail.headers import HeaderBlock, wire_text

EnvelopeAddress = tuple[str | None, str | None, str | None, str | None]
AddressList = tuple[EnvelopeAddress, ...]

MISSING_HOST = ".MISSING-HOST-NAME."
MISSING_MAILBOX = "MISSING_MAILBOX"

# JSON keys of :meth:`Envelope.to_json`, in the order RFC 3501 7.4.2 sends them.
ENVELOPE_FIELDS = (
    "date",
    "subject",
    "from",
    "sender",
    "reply_to",
    "to",
    "cc",
    "bcc",
    "in_reply_to",
    "message_id",
)
_ADDRESS_FIELDS = frozenset({"from", "sender", "reply_to", "to", "cc", "bcc"})

# RFC 5322 3.2-3.4 lexical tokens; "(" is handled by hand because comments nest.
_TOKEN_RE = re.compile(
    r"""(?P<ws>[ \t\r\n]+)
      | (?P<qs>"(?:[^"\\]|\\.)*"?)
      | (?P<comment>\()
      | (?P<lit>\[[^\]]*\]?)
      | (?P<special>[<>:;@,])
      | (?P<atom>[^ \t\r\n"(\[<>:;@,]+)""",
    re.S | re.X,
)
_UNESCAPE_RE = re.compile(r"\\(.)", re.S)


@dataclass(frozen=True, slots=True)
class Envelope:
    """The ten ENVELOPE members; ``from_`` is the From field (``"from"`` in JSON)."""

    date: str | None = None
    subject: str | None = None
    from_: AddressList | None = None
    sender: AddressList | None = None
    reply_to: AddressList | None = None
    to: AddressList | None = None
    cc: AddressList | None = None
    bcc: AddressList | None = None
    in_reply_to: str | None = None
    message_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{key: value}`` for the keys in :data:`ENVELOPE_FIELDS`, in that order."""
        out: dict[str, Any] = {}
        for key in ENVELOPE_FIELDS:
            value = getattr(self, "from_" if key == "from" else key)
            if key in _ADDRESS_FIELDS and value is not None:
                value = [list(item) for item in value]
            out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        values: dict[str, Any] = {}
        for key in ENVELOPE_FIELDS:
            value = data.get(key)
            if key in _ADDRESS_FIELDS and value is not None:
                value = tuple(_address_from_json(item) for item in value)
            values["from_" if key == "from" else key] = value
        return cls(**values)


def _address_from_json(item: list[str | None]) -> EnvelopeAddress:
    name, adl, mailbox, host = item
    return (name, adl, mailbox, host)


def build_envelope(block: HeaderBlock) -> Envelope:
    """The envelope of the message whose header is ``block``."""

    def text(name: str) -> str | None:
        value = block.get(name)
        return None if value is None else wire_text(value)

    def addresses(name: str) -> AddressList | None:
        value = text(name)
        return None if value is None else (parse_envelope_addresses(value) or None)

    from_ = addresses("From")
    return Envelope(
        date=text("Date"),
        subject=text("Subject"),
        from_=from_,
        sender=addresses("Sender") or from_,
        reply_to=addresses("Reply-To") or from_,
        to=addresses("To"),
        cc=addresses("Cc"),
        bcc=addresses("Bcc"),
        in_reply_to=text("In-Reply-To"),
        message_id=text("Message-ID"),
    )


def parse_envelope_addresses(text: str) -> AddressList:
    """Envelope addresses of an address-list value (RFC 5322 3.4), groups included."""
    return tuple(_AddressParser(_tokenize(text)).address_list())


Token = tuple[str, str]  # (kind, text); kind in ws qs comment lit special atom


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:  # pragma: no cover - the atom branch matches anything else
            break
        kind = match.lastgroup or "atom"
        if kind == "comment":
            pos = _skip_comment(text, pos, tokens)
            continue
        if kind != "ws":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def _skip_comment(text: str, pos: int, tokens: list[Token]) -> int:
    """Consume a nested comment starting at ``text[pos] == "("``; record its content."""
    depth = 0
    index = pos
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        index += 1
    tokens.append(("comment", text[pos + 1 : index]))
    return index + 1


def _word(token: Token) -> str:
    """A phrase word as a display name shows it: quoted-strings unquoted."""
    kind, text = token
    if kind == "qs":
        inner = text[1:-1] if len(text) > 1 and text.endswith('"') else text[1:]
        return _UNESCAPE_RE.sub(r"\1", inner)
    return text


class _AddressParser:
    """Recursive descent over tokens; every step consumes at least one token."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.comment: str | None = None  # the last comment seen after a domain

    def peek(self) -> str | None:
        if self.pos >= len(self.tokens):
            return None
        kind, text = self.tokens[self.pos]
        return text if kind == "special" else ""

    def address_list(self) -> list[EnvelopeAddress]:
        out: list[EnvelopeAddress] = []
        while self.pos < len(self.tokens):
            if self.peek() in (",", ";", ">", ":"):
                self.pos += 1  # stray separators between addresses
                continue
            self.address(out, in_group=False)
        return out

    def phrase(self) -> tuple[list[Token], str | None]:
        words: list[Token] = []
        comment: str | None = None
        while self.peek() == "":
            token = self.tokens[self.pos]
            if token[0] == "comment":
                comment = token[1].strip() or comment
            else:
                words.append(token)
            self.pos += 1
        return words, comment

    def address(self, out: list[EnvelopeAddress], in_group: bool) -> None:
        words, comment = self.phrase()
        name = " ".join(_word(w) for w in words) or None
        mark = self.peek()
        if mark == ":" and not in_group:  # RFC 5322 3.4 group
            self.pos += 1
            self.group(out, name or "")
        elif mark == "<":
            self.pos += 1
            self.angle_addr(out, name)
        elif mark == "@":
            self.pos += 1
            host = self.domain()
            local = "".join(text for _, text in words)
            # An old-style "joe@x (Joe Smith)" gives its comment as the name.
            out.append(_mailbox(self.comment or comment, None, local, host))
        elif words:
            out.append(_mailbox(comment, None, " ".join(t for _, t in words), None))
        else:
            self.pos += 1  # a stray special inside a group: skip it

    def group(self, out: list[EnvelopeAddress], name: str) -> None:
        out.append((None, None, name, None))
        while self.pos < len(self.tokens) and self.peek() != ";":
            if self.peek() == ",":
                self.pos += 1
                continue
            self.address(out, in_group=True)
        self.pos += 1  # the ";" (or past the end)
        out.append((None, None, None, None))

    def angle_addr(self, out: list[EnvelopeAddress], name: str | None) -> None:
        adl = self.route()
        words, _ = self.phrase()
        local = "".join(text for _, text in words)
        host = None
        if self.peek() == "@":
            self.pos += 1
            host = self.domain()
        while self.pos < len(self.tokens) and self.peek() != ">":
            self.pos += 1  # junk before ">"
        self.pos += 1
        if local or host:
            out.append(_mailbox(name, adl, local, host))

    def route(self) -> str | None:
        """An obsolete source route ``@a,@b:`` (RFC 5322 4.4), kept as IMAP's adl."""
        start = self.pos
        if self.peek() != "@":
            return None
        while self.pos < len(self.tokens) and self.peek() not in (":", ">"):
            self.pos += 1
        if self.peek() != ":":
            self.pos = start
            return None
        route = "".join(text for kind, text in self.tokens[start : self.pos] if kind != "comment")
        self.pos += 1
        return route

    def domain(self) -> str | None:
        parts: list[str] = []
        self.comment = None
        while self.peek() == "":
            kind, text = self.tokens[self.pos]
            if kind == "comment":
                self.comment = text.strip() or self.comment
            else:
                parts.append(text)
            self.pos += 1
        return "".join(parts) or None


def _mailbox(
    name: str | None, adl: str | None, local: str | None, host: str | None
) -> EnvelopeAddress:
    return (name or None, adl, local or MISSING_MAILBOX, host or MISSING_HOST)
