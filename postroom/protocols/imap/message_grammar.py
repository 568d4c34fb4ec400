"""Grammar of the commands on the messages of the selected mailbox (RFC 9051 6.4).

SEARCH, FETCH, STORE, COPY, MOVE, SORT, THREAD (each also as a UID command) and
UID EXPUNGE. Each parser reads its arguments (starting with the SP after the command
name) from a ``Reader`` and returns the command dataclass; ``grammar`` checks the end
of the command and turns ``ParseError`` into ``CommandError``.

Invariants: as ``grammar``; search keys and fetch items have their own modules.
"""

from __future__ import annotations

from collections.abc import Callable

from . import command_types as c
from .fetch_items import parse_fetch_items
from .lexer import MAX_NUMBER64, Context, ParseError, Reader, known
from .search_keys import parse_charset, parse_search_keys

__all__ = ["MESSAGE_COMMANDS", "SEARCH_RETURN", "SORT_KEYS", "THREAD_ALGORITHMS"]

SEARCH_RETURN = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})  # RFC 4731, RFC 5182
SORT_KEYS = frozenset({"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"}) | {
    "DISPLAYFROM",  # RFC 5957
    "DISPLAYTO",
}
THREAD_ALGORITHMS = frozenset({"ORDEREDSUBJECT", "REFERENCES"})

_Parse = Callable[[Reader, str, Context], c.Command]


def _uid_expunge(reader: Reader, tag: str, ctx: Context) -> c.Command:
    reader.sp()
    return c.UidExpunge(tag, reader.sequence_set())


def _search(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        returns: tuple[str, ...] | None = None
        if reader.try_keyword(b"RETURN"):  # RFC 4731 3.1
            reader.sp()
            returns = known(reader.atoms_in_parens(), SEARCH_RETURN, "SEARCH return option")
            returns = returns or ("ALL",)
            reader.sp()
        charset = None
        if reader.try_keyword(b"CHARSET"):
            reader.sp()
            charset = parse_charset(reader)
            reader.sp()
        key = parse_search_keys(reader, ctx.max_depth)
        return c.Search(tag, key, charset, returns, uid)

    return parse


def _fetch(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        items = parse_fetch_items(reader)
        changedsince, vanished = None, False
        if reader.try_char(b" "):  # RFC 7162 3.1.4.1 / 3.2.6: fetch-modifiers
            changedsince, vanished = _fetch_modifiers(reader)
        if vanished and (not uid or changedsince is None):
            raise ParseError("VANISHED needs UID FETCH and CHANGEDSINCE")  # RFC 7162 3.2.6
        return c.Fetch(tag, sequence, items, changedsince, vanished, uid)

    return parse


def _fetch_modifiers(reader: Reader) -> tuple[int | None, bool]:
    # RFC 4466 2.4: fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
    reader.char(b"(")
    changedsince: int | None = None
    seen: set[str] = set()
    while True:
        name = reader.atom().upper()
        if name in seen or name not in ("CHANGEDSINCE", "VANISHED"):
            raise ParseError(f"invalid FETCH modifier {name[:40]}")
        seen.add(name)
        if name == "CHANGEDSINCE":
            reader.sp()
            changedsince = reader.number(MAX_NUMBER64)
        if not reader.try_char(b" "):
            break
    reader.char(b")")
    return changedsince, "VANISHED" in seen


def _store(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        unchangedsince = None
        if reader.try_char(b"("):  # RFC 7162 3.1.3: store-modifier
            reader.keyword(b"UNCHANGEDSINCE")
            reader.sp()
            unchangedsince = reader.number(MAX_NUMBER64)
            reader.char(b")")
            reader.sp()
        mode = c.StoreMode.REPLACE
        if reader.try_char(b"+"):
            mode = c.StoreMode.ADD
        elif reader.try_char(b"-"):
            mode = c.StoreMode.REMOVE
        item = reader.atom().upper()
        if item not in ("FLAGS", "FLAGS.SILENT"):
            raise ParseError("expected FLAGS or FLAGS.SILENT")
        reader.sp()
        flags = _store_flags(reader)
        return c.Store(tag, sequence, mode, flags, item.endswith("SILENT"), unchangedsince, uid)

    return parse


def _store_flags(reader: Reader) -> tuple[str, ...]:
    if reader.peek() == 0x28:
        return reader.flag_list()
    flags = [reader.flag()]
    while reader.try_char(b" "):
        flags.append(reader.flag())
    return tuple(dict.fromkeys(flags))


def _copy(cls: type[c.Copy] | type[c.Move], uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        reader.sp()
        sequence = reader.sequence_set()
        reader.sp()
        return cls(tag, sequence, reader.mailbox(ctx), uid)

    return parse


def _sort(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        # RFC 5256 5: "SORT" SP sort-criteria SP search-criteria
        reader.sp()
        reader.char(b"(")
        criteria = [_sort_criterion(reader)]
        while reader.try_char(b" "):
            criteria.append(_sort_criterion(reader))
        reader.char(b")")
        reader.sp()
        charset = parse_charset(reader)
        reader.sp()
        return c.Sort(tag, tuple(criteria), charset, parse_search_keys(reader, ctx.max_depth), uid)

    return parse


def _sort_criterion(reader: Reader) -> c.SortCriterion:
    reverse = reader.try_keyword(b"REVERSE")
    if reverse:
        reader.sp()
    key = reader.atom().upper()
    if key not in SORT_KEYS:
        raise ParseError(f"unknown sort key {key[:40]}")
    return c.SortCriterion(key, reverse)


def _thread(uid: bool) -> _Parse:
    def parse(reader: Reader, tag: str, ctx: Context) -> c.Command:
        # RFC 5256 5: "THREAD" SP thread-alg SP search-criteria
        reader.sp()
        algorithm = reader.atom().upper()
        if algorithm not in THREAD_ALGORITHMS:
            raise ParseError(f"unsupported THREAD algorithm {algorithm[:40]}")
        reader.sp()
        charset = parse_charset(reader)
        reader.sp()
        key = parse_search_keys(reader, ctx.max_depth)
        return c.Thread(tag, algorithm, charset, key, uid)

    return parse


MESSAGE_COMMANDS: dict[str, _Parse] = {
    "UID EXPUNGE": _uid_expunge,
    **{
        prefix + name: parse
        for uid, prefix in ((False, ""), (True, "UID "))
        for name, parse in (
            ("SEARCH", _search(uid)),
            ("FETCH", _fetch(uid)),
            ("STORE", _store(uid)),
            ("COPY", _copy(c.Copy, uid)),
            ("MOVE", _copy(c.Move, uid)),
            ("SORT", _sort(uid)),
            ("THREAD", _thread(uid)),
        )
    },
}
