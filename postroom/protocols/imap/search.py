"""SEARCH and UID SEARCH: every key of RFC 3501 6.4.4 and RFC 9051 6.4.4, MODSEQ
(RFC 7162 3.1.5), ESEARCH results (RFC 4731) and SEARCHRES "$" (RFC 5182).

The key tree (``search_keys``) is evaluated over the selected view's messages as sets
of UIDs. Each node narrows the candidates it is given, and AND evaluates its cheap
children first, so the costly keys (full-text index, header fields read from message
files) only see what the cheap ones left.

Where each key looks:
- flags, keywords, sizes, internal dates, MODSEQ, sequence and UID sets: the message
  rows (``MailStore.messages``) and the view (``\\Recent``, "$");
- FROM, TO, CC, BCC, SUBJECT and the sent dates: the decoded header fields of the stored
  summary (``store.imapquery``), matched case-insensitively as substrings;
- other HEADER fields: the message's own header, decoded (RFC 2047), read from its file;
- BODY and TEXT: the full-text index (``MailStore.search_text``): substrings that start
  at a word, as documented in ``postroom.store.search``.

Dates: "disregarding time and timezone" (RFC 9051 6.4.4) is read as the UTC day of the
internal date, and the day written in the Date field itself for the SENT* keys (a
message without a usable Date field uses its internal date).

Invariants: read-only; work is bounded by the mailbox size; results are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from postroom.mail.headers import display_text, read_header_block
from postroom.store.imapquery import summary_members
from postroom.store.records import MessageRow
from postroom.store.search import TextField

from . import commands as c
from . import responses as r
from .search_keys import (
    AllKey,
    AndKey,
    DateField,
    DateKey,
    DateOp,
    FlagKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    OrKey,
    SearchKey,
    SequenceKey,
    SizeKey,
    SizeOp,
    TextKey,
)

if TYPE_CHECKING:
    from .selected import SelectedMailbox
    from .session import Session

__all__ = ["Searcher", "handle_search", "search_uids"]

_SUMMARY_FIELDS = frozenset({"from", "to", "cc", "bcc", "subject"})
_HEADER_BUDGET = 1 << 20


def _cost(key: SearchKey) -> int:
    """Rough cost order for AND: rows < summaries < full-text index < message files."""
    if isinstance(key, TextKey):
        return 3
    if isinstance(key, HeaderKey):
        return 2 if key.field in _SUMMARY_FIELDS else 4
    if isinstance(key, DateKey) and key.field is DateField.SENT:
        return 2
    if isinstance(key, NotKey | OrKey | AndKey):
        return 5
    return 1


class Searcher:
    """Evaluates one search over a view; caches what it reads from the store."""

    def __init__(self, session: Session, view: SelectedMailbox, rows: list[MessageRow]):
        self.session = session
        self.view = view
        self.rows = {row.uid: row for row in rows}
        self.uids = [u for u in view.uids if u in self.rows]  # in the store and told
        self._headers: dict[int, dict[str, Any]] = {}
        self.modseq_used = False

    async def run(self, key: SearchKey) -> list[int]:
        return sorted(await self.match(key, set(self.uids)))

    async def match(self, key: SearchKey, candidates: set[int]) -> set[int]:
        if not candidates:
            return set()
        if isinstance(key, AndKey):
            for child in sorted(key.keys, key=_cost):
                candidates = await self.match(child, candidates)
            return candidates
        if isinstance(key, OrKey):
            left = await self.match(key.left, candidates)
            return left | await self.match(key.right, candidates - left)
        if isinstance(key, NotKey):
            return candidates - await self.match(key.key, candidates)
        if isinstance(key, TextKey):
            return candidates & await self._text(key)
        if isinstance(key, HeaderKey):
            return await self._header(key, candidates)
        if isinstance(key, DateKey) and key.field is DateField.SENT:
            return await self._sent(key, candidates)
        if isinstance(key, SequenceKey):
            return candidates & self._sequence(key)
        return {uid for uid in candidates if self._row_matches(key, self.rows[uid])}

    def _row_matches(self, key: SearchKey, row: MessageRow) -> bool:
        if isinstance(key, AllKey):
            return True
        if isinstance(key, FlagKey):
            if key.flag == "\\Recent":
                return (row.uid in self.view.recent) == key.present
            lowered = {f.lower() for f in row.flags}
            return (key.flag.lower() in lowered) == key.present
        if isinstance(key, SizeKey):
            return row.size > key.size if key.op is SizeOp.LARGER else row.size < key.size
        if isinstance(key, DateKey):
            return _compare(_utc_day(row.internal_date), key)
        if isinstance(key, ModSeqKey):
            self.modseq_used = True
            return row.modseq >= key.modseq  # RFC 7162 3.1.5
        raise TypeError(f"unexpected search key {key!r}")

    def _sequence(self, key: SequenceKey) -> set[int]:
        if key.sequence.saved:
            return set(self.view.saved)  # RFC 5182 2.1
        if key.uid:
            return set(key.sequence.select(self.view.uids))
        uids = self.view.uids
        return {uids[n - 1] for n in key.sequence.expand(len(uids))}

    async def _text(self, key: TextKey) -> set[int]:
        if not key.value:
            return set(self.uids)
        field = TextField.TEXT if key.headers else TextField.BODY
        found = await self.session.env.mail.search_text(
            self.session.account_id, [self.view.folder_id], key.value, field)
        return {uid for _, uid in found}

    async def _summary_headers(self, uids: Iterable[int]) -> dict[int, dict[str, Any]]:
        missing = [u for u in uids if u not in self._headers]
        if missing:
            found = await summary_members(self.session.env.mail, self.session.account_id,
                                          self.view.folder_id, missing, ("headers",))
            for uid in missing:
                self._headers[uid] = (found.get(uid) or {}).get("headers") or {}
        return self._headers

    async def _header(self, key: HeaderKey, candidates: set[int]) -> set[int]:
        needle = key.value.casefold()
        if key.field in _SUMMARY_FIELDS:
            headers = await self._summary_headers(candidates)
            return {u for u in candidates if needle in _summary_text(headers[u], key.field)}
        mail, out = self.session.env.mail, set()
        for uid in sorted(candidates):
            raw = await mail.read_message(self.rows[uid])
            block = read_header_block(raw, 0, len(raw), _HEADER_BUDGET)
            values = [f.value for f in block.fields if f.name.lower() == key.field]
            if values and (not needle or any(
                    needle in display_text(v).casefold() for v in values)):
                out.add(uid)
        return out

    async def _sent(self, key: DateKey, candidates: set[int]) -> set[int]:
        headers = await self._summary_headers(candidates)
        out = set()
        for uid in candidates:
            day = _header_day(headers[uid].get("date"))
            if day is None:
                day = _utc_day(self.rows[uid].internal_date)
            if _compare(day, key):
                out.add(uid)
        return out


def _summary_text(headers: dict[str, Any], field: str) -> str:
    value = headers.get(field)
    if field == "subject":
        return (value or "").casefold()
    parts = []
    for address in value or []:
        name, addr = address.get("name") or "", address.get("address") or ""
        parts.append(f"{name} <{addr}>" if name else addr)
    return ", ".join(parts).casefold()


def _utc_day(moment: datetime) -> date:
    return moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()


def _header_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date()  # the day in the field's own zone
    except ValueError:
        return None


def _compare(day: date, key: DateKey) -> bool:
    if key.op is DateOp.BEFORE:
        return day < key.day
    if key.op is DateOp.ON:
        return day == key.day
    return day >= key.day


async def search_uids(session: Session, key: SearchKey) -> tuple[list[int], Searcher]:
    """The UIDs of the selected view matching ``key``, ascending (SORT, THREAD use it)."""
    view = session.view
    rows = await session.env.mail.messages(session.account_id, view.folder_id)
    searcher = Searcher(session, view, rows)
    return await searcher.run(key), searcher


async def handle_search(session: Session, cmd: c.Search) -> bytes:
    """Selected. SEARCH and UID SEARCH."""
    view = session.view
    uids, searcher = await search_uids(session, cmd.key)
    modseq = None
    if searcher.modseq_used:
        session.condstore = True  # RFC 7162 3.1: CONDSTORE-enabling
        modseq = max((searcher.rows[u].modseq for u in uids), default=None)
    numbers = uids if cmd.uid else [n for n in (view.seq_of(u) for u in uids) if n]
    returns = cmd.returns
    if returns is None and not session.rev2:
        await session.send(r.search(numbers, modseq=modseq if numbers else None))
        return r.ok(cmd.tag, "SEARCH completed")
    returns = returns or ("ALL",)  # RFC 9051 6.4.4: IMAP4rev2 answers with ESEARCH
    if "SAVE" in returns:  # RFC 5182 2.4: MIN/MAX narrow what is saved
        picked = [*(uids[:1] if "MIN" in returns else []), *(uids[-1:] if "MAX" in returns else [])]
        narrow = {"MIN", "MAX"} & set(returns) and not {"ALL", "COUNT"} & set(returns)
        view.saved = tuple(sorted(set(picked))) if narrow else tuple(uids)
    if set(returns) != {"SAVE"}:  # RFC 5182 2.1: SAVE alone gives no ESEARCH
        await session.send(r.esearch(
            cmd.tag, uid=cmd.uid,
            minimum=numbers[0] if "MIN" in returns and numbers else None,
            maximum=numbers[-1] if "MAX" in returns and numbers else None,
            all_numbers=numbers if "ALL" in returns else None,
            count=len(numbers) if "COUNT" in returns else None,
            modseq=modseq))
    return r.ok(cmd.tag, "SEARCH completed")
