"""Message flags: system flags as a bit set, keywords as a sorted list.

IMAP system flags (RFC 3501 2.3.2, RFC 9051 2.3.2) are case-insensitive; they are stored as
bits so SEARCH and the unread counts are plain integer tests. ``\\Recent`` is a property
of a session, not of the message, and is never stored. Keywords keep the spelling they
were first given with and compare case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from postroom.errors import Invalid

SEEN = 1
ANSWERED = 2
FLAGGED = 4
DELETED = 8
DRAFT = 16

SYSTEM_FLAGS: dict[str, int] = {
    "\\Seen": SEEN,
    "\\Answered": ANSWERED,
    "\\Flagged": FLAGGED,
    "\\Deleted": DELETED,
    "\\Draft": DRAFT,
}
_BY_LOWER = {name.lower(): (name, bit) for name, bit in SYSTEM_FLAGS.items()}
_ATOM_SPECIALS = set('(){ %*"\\]') | {chr(c) for c in range(0x20)} | {"\x7f"}
MAX_KEYWORDS = 200
MAX_KEYWORD_LENGTH = 100


def split_flags(flags: Iterable[str]) -> tuple[int, list[str]]:
    """``{"\\Seen", "$Forwarded"}`` -> (bits, keywords). Raises Invalid on bad names."""
    bits = 0
    keywords: dict[str, str] = {}
    for flag in flags:
        lower = flag.lower()
        if lower in _BY_LOWER:
            bits |= _BY_LOWER[lower][1]
            continue
        if lower == "\\recent":
            continue  # session state, never stored
        _check_keyword(flag)
        keywords.setdefault(lower, flag)
    if len(keywords) > MAX_KEYWORDS:
        raise Invalid("too many keywords on one message")
    return bits, sorted(keywords.values(), key=str.lower)


def _check_keyword(flag: str) -> None:
    if not flag or flag.startswith("\\"):
        raise Invalid(f"unknown system flag {flag!r}")
    if len(flag) > MAX_KEYWORD_LENGTH or any(c in _ATOM_SPECIALS or ord(c) > 126 for c in flag):
        raise Invalid("keywords must be short atoms")


def join_flags(bits: int, keywords_json: str) -> frozenset[str]:
    names = {name for name, bit in SYSTEM_FLAGS.items() if bits & bit}
    names.update(json.loads(keywords_json))
    return frozenset(names)


def keywords_json(keywords: Iterable[str]) -> str:
    return json.dumps(sorted(set(keywords), key=str.lower))


def merge_keywords(current: list[str], change: list[str], mode: str) -> list[str]:
    """Apply a STORE mode (``add``, ``remove``, ``replace``) to a keyword list."""
    if mode == "replace":
        return change
    lowered = {k.lower() for k in change}
    if mode == "remove":
        return [k for k in current if k.lower() not in lowered]
    known = {k.lower() for k in current}
    return sorted(current + [k for k in change if k.lower() not in known], key=str.lower)


def merge_bits(current: int, change: int, mode: str) -> int:
    if mode == "replace":
        return change
    if mode == "remove":
        return current & ~change
    return current | change
