"""The IMAP ENVELOPE of a message (RFC 3501 7.4.2, RFC 9051 7.5.2), as plain data.

Purpose: read the ten envelope fields from a header block once, at delivery, so IMAP can
serve FETCH ENVELOPE and BODYSTRUCTURE without reparsing. No wire formatting here.

Invariants:

* Every string is *wire text* (see :mod:`postroom.mail.headers`): the unfolded, trimmed
  header value, undecoded (RFC 2047 encoded-words are left for the client, as RFC 3501
  requires), UTF-8 with ``surrogateescape``; ``headers.wire_bytes(s)`` gives the bytes.
  Display names are the phrase with quoted-strings unquoted (RFC 5322 3.2.4) and words
  joined by one space, or the comment of an old-style ``joe@x (Joe)``; a quoted local
  part keeps its quotes, so ``mailbox@host`` is still a valid address; comments are
  dropped from mailbox and host.
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

# RFC 5322 3.2-3.4 lexical tokens, whitespace skipped: atom (dots included, so a
# dot-atom is one token), special, quoted-string, comment (two levels of nesting; deeper
# parentheses degrade to atoms), domain literal. Unterminated ones run to the end.
_TOKEN_RE = re.compile(
    r"""[^ \t\r\n"(\[<>:;@,]+
      | [<>:;@,]
      | "(?:[^"\\]|\\.)*"?
      | \((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\)?)*\)?
      | \[[^\]]*\]?""",
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
    """Envelope addresses of an address-list value (RFC 5322 3.4), groups included.

    One pass over the tokens, tolerant of anything: a stray separator is skipped, an
    unterminated ``<`` or group runs to the end of the value.
    """
    return tuple(_AddressListReader().read(_TOKEN_RE.findall(text)))


class _AddressListReader:
    """A state machine over tokens: the current address is ``words`` (outside angle
    brackets) and ``angle`` (inside them, None when there were none)."""

    def __init__(self) -> None:
        self.out: list[EnvelopeAddress] = []
        self.words: list[str] = []
        self.angle: list[str] | None = None
        self.in_angle = False
        self.in_group = False

    def read(self, tokens: list[str]) -> list[EnvelopeAddress]:
        for token in tokens:
            if self.in_angle:
                if token == ">":
                    self.in_angle = False
                elif self.angle is not None:
                    self.angle.append(token)
            elif token == ",":
                self.finish()
            elif token == ";":
                self.finish()
                self.end_group()
            elif token == ":" and not self.in_group and "@" not in self.words:
                self.out.append((None, None, _phrase(self.words) or "", None))  # RFC 5322 3.4
                self.words, self.in_group = [], True
            elif token == "<" and self.angle is None:
                self.angle, self.in_angle = [], True
            elif token not in (":", "<", ">"):
                self.words.append(token)
        self.finish()
        self.end_group()
        return self.out

    def finish(self) -> None:
        if self.angle is not None:
            address = _angle_address(_phrase(self.words), self.angle)
        else:
            address = _addr_spec(self.words)
        if address is not None:
            self.out.append(address)
        self.words, self.angle, self.in_angle = [], None, False

    def end_group(self) -> None:
        if self.in_group:
            self.out.append((None, None, None, None))
            self.in_group = False


def _phrase(words: list[str]) -> str | None:
    """A display name: words joined by one space, quoted-strings unquoted."""
    return " ".join(_unquote(w) for w in words if w[0] != "(") or None


def _unquote(word: str) -> str:
    if word[0] != '"':
        return word
    inner = word[1:-1] if len(word) > 1 and word.endswith('"') else word[1:]
    return _UNESCAPE_RE.sub(r"\1", inner)


def _comment(words: list[str]) -> str | None:
    """The last comment's text: an old-style ``joe@x (Joe Smith)`` names its mailbox."""
    for word in reversed(words):
        if word[0] == "(":
            inner = word[1:-1] if word.endswith(")") else word[1:]
            if inner.strip():
                return inner.strip()
    return None


def _addr_spec(words: list[str]) -> EnvelopeAddress | None:
    """``local@domain`` outside angle brackets (RFC 5322 3.4.1)."""
    plain = [w for w in words if w[0] != "("]
    if not plain:
        return None
    if "@" not in plain:
        return _mailbox(_comment(words), None, " ".join(plain), None)
    at = plain.index("@")
    local, host = "".join(plain[:at]), "".join(w for w in plain[at + 1 :] if w != "@")
    return _mailbox(_comment(words), None, local, host)


def _angle_address(name: str | None, angle: list[str]) -> EnvelopeAddress | None:
    """``[route:] local@domain`` inside angle brackets; route is IMAP's adl (RFC 5322 4.4)."""
    tokens = [t for t in angle if t[0] != "("]
    adl = None
    if tokens and tokens[0] == "@" and ":" in tokens:
        colon = tokens.index(":")
        adl, tokens = "".join(tokens[:colon]), tokens[colon + 1 :]
    tokens = [t for t in tokens if t not in (",", ":", ";", "<")]
    if "@" in tokens:
        at = tokens.index("@")
        local, host = "".join(tokens[:at]), "".join(t for t in tokens[at + 1 :] if t != "@")
    else:
        local, host = "".join(tokens), ""
    if not local and not host:
        return None
    return _mailbox(name, adl, local, host)


def _mailbox(
    name: str | None, adl: str | None, local: str | None, host: str | None
) -> EnvelopeAddress:
    return (name or None, adl, local or MISSING_MAILBOX, host or MISSING_HOST)
