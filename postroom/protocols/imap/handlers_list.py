"""LIST and LSUB: patterns, attributes, LIST-EXTENDED, LIST-STATUS and SPECIAL-USE
(RFC 9051 6.3.9, RFC 3501 6.3.9, RFC 5258, RFC 5819, RFC 6154, RFC 3348 CHILDREN).

Postroom has no \\Noselect folders (the store creates parents), so every folder listed
is selectable; ``\\HasChildren``/``\\HasNoChildren`` are always given (RFC 5258 4).

Invariants: patterns become anchored regular expressions built from escaped text, so a
name can never inject regex syntax; ``*`` matches anything, ``%`` anything but the
delimiter (RFC 9051 6.3.9). INBOX matches case-insensitively, only as a whole first level.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from postroom.store.records import DELIMITER, FolderInfo, SpecialUse

from . import commands as c
from . import responses as r
from .handlers_mailbox import status_response

if TYPE_CHECKING:
    from .session import Session

__all__ = ["list_mailboxes", "list_subscribed", "pattern_regex"]


def pattern_regex(reference: str, pattern: str) -> re.Pattern[str]:
    """RFC 9051 6.3.9: the reference and the pattern joined, wildcards expanded."""
    if reference and pattern.startswith(DELIMITER):
        full = pattern.lstrip(DELIMITER)
    else:
        full = reference + pattern
    if full[:5].upper() == "INBOX":
        full = _inbox(full)
    regex = "".join(
        ".*" if ch == "*" else "[^/]*" if ch == "%" else re.escape(ch) for ch in full
    )
    return re.compile(regex + r"\Z", re.DOTALL)


def _inbox(full: str) -> str:
    """A pattern starting with INBOX in any case: spell it INBOX when that is the whole
    first level (RFC 9051 5.1: only INBOX itself is case-insensitive)."""
    if len(full) == 5 or full[5] in "/*%":
        return "INBOX" + full[5:]
    return full


def _attributes(folder: FolderInfo, names: set[str], subscribed: bool) -> list[str]:
    prefix = folder.name + DELIMITER
    has_children = any(n.startswith(prefix) for n in names)
    attrs = ["\\HasChildren" if has_children else "\\HasNoChildren"]
    if folder.special_use is not None and folder.special_use is not SpecialUse.INBOX:
        attrs.append(folder.special_use.value)  # RFC 6154 2: always given
    if subscribed and folder.subscribed:
        attrs.append("\\Subscribed")  # RFC 5258 3.4
    return attrs


async def list_mailboxes(session: Session, cmd: c.List) -> None:
    """Write the LIST responses (and STATUS responses for LIST-STATUS)."""
    if not cmd.extended and cmd.patterns == ("",):
        # RFC 9051 6.3.9: an empty pattern asks for the delimiter and the root.
        await session.send(r.list_mailbox(["\\Noselect"], DELIMITER, "", utf8=session.utf8))
        return
    mail = session.env.mail
    folders = await mail.list_folders(session.account_id)
    names = {f.name for f in folders}
    regexes = [pattern_regex(cmd.reference, p) for p in cmd.patterns]
    want_subscribed = "SUBSCRIBED" in cmd.select or "SUBSCRIBED" in cmd.returns
    only_subscribed = "SUBSCRIBED" in cmd.select
    recursive = "RECURSIVEMATCH" in cmd.select
    for folder in sorted(folders, key=lambda f: (f.name != "INBOX", f.name)):
        if not any(rx.match(folder.name) for rx in regexes):
            continue
        if "SPECIAL-USE" in cmd.select and folder.special_use in (None, SpecialUse.INBOX):
            continue  # RFC 6154 5.1
        childinfo: tuple[str, ...] = ()
        if only_subscribed and not folder.subscribed:
            prefix = folder.name + DELIMITER
            if not recursive or not any(
                f.subscribed and f.name.startswith(prefix) for f in folders
            ):
                continue
            childinfo = ("SUBSCRIBED",)  # RFC 5258 3.5
        attrs = _attributes(folder, names, want_subscribed)
        await session.send(r.list_mailbox(attrs, DELIMITER, folder.name, utf8=session.utf8,
                                          childinfo=childinfo))
        if cmd.status_items:  # RFC 5819 2
            status = await mail.folder_status(session.account_id, folder.name)
            await session.send(status_response(session, status, cmd.status_items))


async def list_subscribed(session: Session, cmd: c.Lsub) -> None:
    """RFC 3501 6.3.9 LSUB: the subscribed folders matching the pattern."""
    folders = await session.env.mail.list_folders(session.account_id)
    rx = pattern_regex(cmd.reference, cmd.pattern)
    for folder in sorted(folders, key=lambda f: (f.name != "INBOX", f.name)):
        if folder.subscribed and rx.match(folder.name):
            await session.send(r.lsub([], DELIMITER, folder.name, utf8=session.utf8))
