"""SORT and UID SORT (RFC 5256 3, DISPLAYFROM/DISPLAYTO RFC 5957).

The base subject of RFC 5256 2.1 that SORT and THREAD share lives in
``postroom.mail.conversations`` (the web mail's conversations use it too).

Sort keys come from the decoded header fields of the stored summary
(``store.imapquery``), so nothing is reparsed. Ties are broken by sequence number
(RFC 5256 3); a missing field sorts as the empty string, a missing or unusable Date
field as the internal date (RFC 5256 2.2).

Invariants: read-only; the search part is the one of SEARCH (``search.search_uids``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from postroom.mail.conversations import base_subject, is_reply
from postroom.store.imapquery import summary_members
from postroom.store.records import MessageRow

from . import commands as c
from . import responses as r
from .search import search_uids

if TYPE_CHECKING:
    from .session import Session

__all__ = ["base_subject", "handle_sort", "is_reply", "message_date", "sort_headers"]


def message_date(headers: dict[str, Any], row: MessageRow) -> datetime:
    """RFC 5256 2.2: the sent date, or the internal date when there is none."""
    value = headers.get("date")
    if value:
        try:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    moment = row.internal_date
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _first(headers: dict[str, Any], field: str) -> dict[str, str]:
    items = headers.get(field) or []
    return items[0] if items else {}


def _key(criterion: str, headers: dict[str, Any], row: MessageRow) -> Any:
    if criterion == "ARRIVAL":
        return row.internal_date.timestamp()
    if criterion == "DATE":
        return message_date(headers, row).timestamp()
    if criterion == "SIZE":
        return row.size
    if criterion == "SUBJECT":
        return base_subject(headers.get("subject"))
    if criterion in ("FROM", "TO", "CC"):  # RFC 5256 3: the first address's mailbox
        return (_first(headers, criterion.lower()).get("local") or "").casefold()
    field = "from" if criterion == "DISPLAYFROM" else "to"
    first = _first(headers, field)  # RFC 5957 3: display name, else the address
    return (first.get("name") or first.get("address") or "").casefold()


class _Reverse:
    """Wraps a key so that it sorts in descending order."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reverse) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


async def sort_headers(session: Session, uids: list[int]) -> dict[int, dict[str, Any]]:
    found = await summary_members(session.env.mail, session.account_id,
                                  session.view.folder_id, uids, ("headers",))
    return {uid: (found.get(uid) or {}).get("headers") or {} for uid in uids}


async def handle_sort(session: Session, cmd: c.Sort) -> bytes:
    """Selected. SORT and UID SORT."""
    view = session.view
    uids, searcher = await search_uids(session, cmd.key)
    headers = await sort_headers(session, uids)

    def order(uid: int) -> tuple[Any, ...]:
        keys = []
        for criterion in cmd.criteria:
            value = _key(criterion.key, headers[uid], searcher.rows[uid])
            keys.append(_Reverse(value) if criterion.reverse else value)
        return (*keys, uid)  # RFC 5256 3: ties by sequence number, i.e. by UID

    ordered = sorted(uids, key=order)
    numbers = ordered if cmd.uid else [n for n in (view.seq_of(u) for u in ordered) if n]
    modseq = None
    if searcher.modseq_used and ordered:
        modseq = max(searcher.rows[u].modseq for u in ordered)
    await session.send(r.sort(numbers, modseq=modseq))
    return r.ok(cmd.tag, "SORT completed")
