"""Mailbox addresses: validation, canonical form, sub-addressing, and header address lists.

Purpose: the one place that decides what a plain mailbox address is, and how two
addresses compare. SMTP (RCPT/MAIL), tenancy (accounts, aliases) and web forms all call
:func:`split_address` / :func:`canonical_address`.

Rules (and the choices made where the RFCs leave room):

* Local parts compare case-insensitively: :func:`canonical_address` lowercases them. RFC
  5321 2.4 allows a receiver to treat them as case-sensitive; Postroom, like most hosted
  services, does not.
* Domains are lowercased and IDNA-converted to A-labels (UTS 46 mapping, IDNA 2008 via
  the ``idna`` package): ``bücher.example`` -> ``xn--bcher-kva.example``. A trailing dot,
  empty labels, non-LDH labels, an all-numeric top label (a dotted IPv4 address) and
  address literals (``[192.0.2.1]``, RFC 5321 4.1.3) are rejected.
* Relay tricks are rejected: ``%`` and ``!`` anywhere in the local part (the "percent hack"
  and UUCP bang paths), source routes (``@a,@b:user@c``, RFC 5321 4.1.2 obsolete), more
  than one ``@``.
* Quoted local parts (RFC 5321 4.1.2 Quoted-string) are accepted only when their content
  is printable ASCII or UTF-8 without ``"``, ``\\``, ``%``, ``!``, ``@`` or control
  characters. If the content is a valid dot-atom the quotes are dropped (``"joe"@x`` is
  ``joe@x``); otherwise the local part keeps its quotes (``"joe smith"@x``).
* UTF-8 local parts are accepted (RFC 6531 SMTPUTF8 extends atext).
* Lengths follow RFC 5321 4.5.3.1: local part 64 octets, domain 255, address 254.

:func:`parse_address_list` is different: it reads header fields written by anybody, so
it never raises and skips entries it cannot use.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from typing import Any

import idna

from postroom.errors import Invalid
from postroom.mail.headers import clean_display, decode_encoded_words

MAX_LOCAL_OCTETS = 64  # RFC 5321 4.5.3.1.1
MAX_DOMAIN_OCTETS = 255  # RFC 5321 4.5.3.1.2
MAX_ADDRESS_OCTETS = 254  # RFC 5321 4.5.3.1.3 path of 256 minus the angle brackets

# RFC 5322 3.2.3 atext without "%" and "!" (relay tricks), plus UTF-8 (RFC 6531 3.3).
_ATEXT = r"A-Za-z0-9#$&'*+\-/=?^_`{|}~\u0080-\U0010ffff"
_DOT_ATOM_RE = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_QUOTED_CONTENT_RE = re.compile(r"[\x20\x23-\x24\x26-\x3f\x41-\x5b\x5d-\x7e\u0080-\U0010ffff]*")
_LDH_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def split_address(addr: str) -> tuple[str, str]:
    """Split a plain mailbox address into (local part, normalised domain).

    The local part is returned in its validated form (quotes dropped when not needed) but
    not lowercased; see :func:`canonical_address`. Raises :class:`Invalid` otherwise.
    """
    if not isinstance(addr, str) or not addr:
        raise Invalid("the address is empty")
    if _SURROGATE_RE.search(addr):
        raise Invalid("the address is not valid text")
    if addr.startswith("@"):
        raise Invalid("source routes are not accepted in an address")
    local, domain = _split_at(addr)
    if not domain:
        raise Invalid("the address has no domain")
    if domain.startswith("["):
        raise Invalid("address literals such as [192.0.2.1] are not accepted")
    local = _check_local(local)
    domain = normalize_domain(domain)
    if len(local.encode("utf-8")) + 1 + len(domain) > MAX_ADDRESS_OCTETS:
        raise Invalid("the address is too long")
    return local, domain


def _split_at(addr: str) -> tuple[str, str]:
    if addr.startswith('"'):
        close = addr.find('"', 1)
        if close < 0:
            raise Invalid("the quoted local part is not closed")
        if addr[close + 1 : close + 2] != "@":
            raise Invalid("the address must have the form local@domain")
        return addr[: close + 1], addr[close + 2 :]
    if addr.count("@") != 1:
        raise Invalid("the address must contain exactly one @")
    local, _, domain = addr.partition("@")
    return local, domain


def _check_local(local: str) -> str:
    if not local:
        raise Invalid("the address has no local part")
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS:  # quotes included, as sent
        raise Invalid("the local part is longer than 64 octets")
    if "%" in local or "!" in local:
        raise Invalid("'%' and '!' (relay routing) are not accepted in an address")
    if not local.startswith('"'):
        if _DOT_ATOM_RE.fullmatch(local) is None:
            raise Invalid("the local part contains characters that are not allowed")
        return local
    content = local[1:-1]
    closed = len(local) >= 2 and local.endswith('"')
    if not closed or not content or _QUOTED_CONTENT_RE.fullmatch(content) is None:
        raise Invalid("the quoted local part contains characters that are not allowed")
    return content if _DOT_ATOM_RE.fullmatch(content) else local


def is_valid_local_part(local: str) -> bool:
    """True when ``local`` is acceptable as the local part of a plain mailbox address."""
    try:
        _check_local(local)
    except Invalid:
        return False
    return not _SURROGATE_RE.search(local)


def normalize_domain(domain: str) -> str:
    """Lowercase A-label form of ``domain``; raises :class:`Invalid` for anything else."""
    if not isinstance(domain, str) or not domain:
        raise Invalid("the domain is empty")
    if domain.endswith("."):
        raise Invalid("the domain must not end with a dot")
    if domain.startswith("[") or ":" in domain:
        raise Invalid("address literals are not accepted as a domain")
    ascii_domain = domain.lower() if domain.isascii() else _to_a_labels(domain)
    _check_labels(ascii_domain)
    return ascii_domain


def _to_a_labels(domain: str) -> str:
    try:
        # UTS 46 maps case and compatibility forms first (IDNA 2008, RFC 5891 5).
        return idna.encode(domain, uts46=True, std3_rules=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise Invalid("the domain is not a valid internationalised domain name") from exc


def _check_labels(domain: str) -> None:
    if len(domain) > MAX_DOMAIN_OCTETS - 2:  # 253: DNS wire form with length octets
        raise Invalid("the domain is too long")
    labels = domain.split(".")
    for label in labels:
        if not label:
            raise Invalid("the domain has an empty label")
        if _LDH_LABEL_RE.fullmatch(label) is None:
            raise Invalid("the domain has a label that is not letters, digits and hyphens")
        if label.startswith("xn--"):
            _check_a_label(label)
    if labels[-1].isdigit():
        raise Invalid("an IP address is not accepted as a domain")


def _check_a_label(label: str) -> None:
    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise Invalid("the domain has an invalid xn-- label") from exc


def canonical_address(addr: str) -> str:
    """The form Postroom compares and stores: lowercased local part, A-label domain."""
    local, domain = split_address(addr)
    return f"{local.lower()}@{domain}"


def base_local_part(local: str, separator: str = "+") -> str:
    """Strip sub-addressing: ``joe+lists`` -> ``joe``.

    Only the first separator counts; a local part that starts with the separator, a
    quoted local part, or an empty separator gives ``local`` unchanged.
    """
    if not separator or local.startswith('"'):
        return local
    base, found, _ = local.partition(separator)
    return base if found and base else local


@dataclass(frozen=True, slots=True)
class Address:
    """An address read from a header field; ``display_name`` is decoded display text."""

    display_name: str
    local: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.display_name,
            "local": self.local,
            "domain": self.domain,
            "address": self.address,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Address:
        return cls(str(data["name"]), str(data["local"]), str(data["domain"]))


def parse_address_list(header_value: str) -> list[Address]:
    """Mailboxes in an address-list header value (RFC 5322 3.4); never raises.

    Group names are dropped and their members kept. Entries without ``@``, with an empty
    local part or domain, or with whitespace in the address are skipped. Domains are
    normalised when possible and otherwise kept lowercased. Display names have their
    RFC 2047 encoded-words decoded.
    """
    try:
        pairs = email.utils.getaddresses([header_value])
    except Exception:  # the stdlib parser is not guaranteed total on hostile input
        return []
    result: list[Address] = []
    for name, addr in pairs:
        local, at, domain = addr.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in addr):
            continue
        result.append(Address(_display_name(name), local, display_domain(domain)))
    return result


def _display_name(name: str) -> str:
    return clean_display(decode_encoded_words(name)).strip()


def display_domain(domain: str) -> str:
    """The domain normalised when it is valid, else lowercased; never raises."""
    try:
        return normalize_domain(domain)
    except Invalid:
        return domain.lower()
