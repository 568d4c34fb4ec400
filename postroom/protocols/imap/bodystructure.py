"""ENVELOPE, BODY and BODYSTRUCTURE values from the stored summary (RFC 9051 7.5.2,
RFC 3501 7.4.2).

The MIME tree was parsed once at delivery (``postroom.mail.mime``); here it only
becomes response values for ``responses.encode_value``. Strings in the tree are wire
text (``postroom.mail.headers``); ``wire_bytes`` gives the original octets back, which
are sent quoted when safe and as literals otherwise.

Invariants:
- A multipart's children and the addresses of an address list are written next to each
  other without spaces (``body-type-mpart = 1*body SP media-subtype``, ``env-from =
  "(" 1*address ")"``), hence the ``Raw`` concatenations.
- Sender and Reply-To default to From (RFC 9051 7.5.2), even for envelopes stored
  before the summary did that itself.
- BODY (``extended=False``) carries no extension data; BODYSTRUCTURE carries all of it.
"""

from __future__ import annotations

from typing import Any

from postroom.mail.envelope import AddressList, Envelope
from postroom.mail.headers import wire_bytes
from postroom.mail.mime import Part
from postroom.mail.params import Params

from . import responses as r

__all__ = ["body_value", "envelope_value", "structure_of"]


def _s(text: str | None) -> bytes | None:
    return None if text is None else wire_bytes(text)


def _addresses(items: AddressList | None, utf8: bool) -> r.Value:
    """``"(" 1*address ")"``: addresses are written next to each other, no spaces."""
    if not items:
        return None
    return r.Raw(b"(" + b"".join(
        r.encode_value([_s(name), _s(adl), _s(mailbox), _s(host)], utf8=utf8)
        for name, adl, mailbox, host in items) + b")")


def envelope_value(env: Envelope | dict[str, Any], *, utf8: bool = False) -> r.Value:
    """RFC 9051 7.5.2 ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc,
    in-reply-to, message-id."""
    if isinstance(env, dict):
        env = Envelope.from_json(env)
    from_ = _addresses(env.from_, utf8)
    return [
        _s(env.date),
        _s(env.subject),
        from_,
        _addresses(env.sender, utf8) or from_,
        _addresses(env.reply_to, utf8) or from_,
        _addresses(env.to, utf8),
        _addresses(env.cc, utf8),
        _addresses(env.bcc, utf8),
        _s(env.in_reply_to),
        _s(env.message_id),
    ]


def _params(params: Params) -> r.Value:
    if not params:
        return None
    values: list[r.Value] = []
    for name, value in params:
        values += [_s(name), _s(value)]
    return values


def _disposition(part: Part) -> r.Value:
    if part.disposition is None:
        return None
    return [_s(part.disposition), _params(part.disposition_params)]


def _language(part: Part) -> r.Value:
    if not part.language:
        return None
    if len(part.language) == 1:
        return _s(part.language[0])
    return [_s(tag) for tag in part.language]


def body_value(part: Part, *, extended: bool, utf8: bool = False) -> r.Value:
    """BODY (``extended=False``) or BODYSTRUCTURE of ``part`` and what it contains."""
    if part.children:
        inner = b"".join(
            r.encode_value(body_value(child, extended=extended, utf8=utf8), utf8=utf8)
            for child in part.children
        )
        multi: list[r.Value] = [r.Raw(inner), _s(part.subtype)]
        if extended:  # body-ext-mpart
            multi += [_params(part.params), _disposition(part), _language(part),
                      _s(part.location)]
        return multi
    single: list[r.Value] = [
        _s(part.type), _s(part.subtype), _params(part.params), _s(part.id),
        _s(part.description), _s(part.encoding), part.size,
    ]  # fmt: skip
    if part.message is not None:  # body-type-msg
        single += [
            envelope_value(part.envelope or Envelope(), utf8=utf8),
            body_value(part.message, extended=extended, utf8=utf8),
            part.lines,
        ]
    elif part.type == "text":  # body-type-text
        single.append(part.lines)
    if extended:  # body-ext-1part
        single += [_s(part.md5), _disposition(part), _language(part), _s(part.location)]
    return single


def structure_of(data: dict[str, Any]) -> Part:
    """The stored ``structure`` member of a summary as a ``Part`` tree."""
    return Part.from_json(data)
