"""What makes two messages one conversation: base subjects and Message-ID keys, no I/O.

Purpose: the pieces shared by IMAP SORT/THREAD (RFC 5256) and the store's conversations
(``postroom.store.conversations``), so both read "Re: Lunch" and "Lunch" the same way.

- :func:`base_subject` is exactly RFC 5256 2.1 (IMAP SORT SUBJECT and THREAD use it);
  :func:`conversation_subject` also drops the reply and forward prefixes of other
  languages (``AW:``, ``SV:``, ``Antw:`` ...) and counted ones (``Re[2]:``), which the
  RFC leaves alone, so a German reply stays in its English conversation.
- :func:`message_id_key` turns a Message-ID into the signed 64-bit integer the store
  indexes (a Message-ID may be 1,000 characters: too long for a PostgreSQL index entry).
- :func:`parent_ids` lists the Message-IDs a message replies to, nearest first.

Invariants: pure functions of their arguments; never raise on any text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

__all__ = ["base_subject", "conversation_subject", "is_reply", "message_id_key", "parent_ids"]

#: At most this many referenced Message-IDs take part in a conversation look-up: the
#: nearest ancestors are the ones still likely to be in the mailbox.
MAX_PARENT_IDS = 20

_WSP = re.compile(r"\s+")
_TRAILER = re.compile(r"(\s|\(fwd\))+\Z", re.IGNORECASE)  # RFC 5256 2.1 (2)
_BLOB = r"\[[^\[\]]*\]\s*"
_LEADER = re.compile(rf"\A\s*(?:(?:{_BLOB})*(?:re|fwd?)\s*(?:{_BLOB})?:\s*|{_BLOB})",
                     re.IGNORECASE)  # (3) subj-refwd and subj-blob
_FWD = re.compile(r"\A\[fwd:(.*)\]\Z", re.IGNORECASE | re.DOTALL)  # (4) subj-fwd
# Reply/forward prefixes of mail programs in other languages, and counted ones
# ("Re[2]:", "Re(3):", "Re^2:"), that RFC 5256 does not know about.
_LOCAL_LEADER = re.compile(
    r"\A\s*(?:re|fwd?|aw|wg|sv|vs|vl|antw|doorst|rif|res|enc|odp|pd|tr|ynt|r|i)"
    r"\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*:\s*", re.IGNORECASE)


def base_subject(subject: str | None) -> str:
    """RFC 5256 2.1: the subject without Re:, Fwd:, [blob] and (fwd) decorations."""
    text = _WSP.sub(" ", subject or "").strip()
    while True:
        before = text
        text = _TRAILER.sub("", text)
        while True:
            stripped = _LEADER.sub("", text, count=1)
            if stripped == text or not stripped:  # a blob that is the whole subject stays
                break
            text = stripped
        match = _FWD.match(text)
        if match:
            text = match.group(1).strip()
        if text == before:
            return text.casefold()


def is_reply(subject: str | None) -> bool:
    """Whether extracting the base subject removed a Re:/Fwd: (RFC 5256 4, step 5)."""
    text = _WSP.sub(" ", subject or "").strip()
    return bool(re.match(r"\A(?:\[[^\]]*\]\s*)*(re|fwd?)\s*(\[[^\]]*\])?\s*:", text, re.I)) \
        or text.lower().endswith("(fwd)") or bool(_FWD.match(text))


def conversation_subject(subject: str | None) -> str:
    """The base subject, with the prefixes of other languages dropped too (casefolded)."""
    text = base_subject(subject)
    while True:
        stripped = _LOCAL_LEADER.sub("", text, count=1)
        if stripped == text or not stripped.strip():
            return text
        text = base_subject(stripped)


def message_id_key(message_id: str | None) -> int | None:
    """A Message-ID as a signed 64-bit integer (the first 8 bytes of its SHA-256)."""
    if not message_id:
        return None
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def parent_ids(in_reply_to: str | None, references: Sequence[str]) -> tuple[str, ...]:
    """The Message-IDs a message answers, nearest first: In-Reply-To, then References
    from the last (the parent, RFC 5322 3.6.4) back; at most ``MAX_PARENT_IDS``."""
    out: list[str] = []
    for item in ([in_reply_to] if in_reply_to else []) + list(reversed(references)):
        if item and item not in out:
            out.append(item)
        if len(out) == MAX_PARENT_IDS:
            break
    return tuple(out)
