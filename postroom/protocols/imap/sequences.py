"""IMAP sequence sets: parsing, resolution against a mailbox, compact formatting.

Grammar (RFC 3501 9 / RFC 9051 9)::

    sequence-set = (seq-number / seq-range) ["," sequence-set] / "$"
    seq-range    = seq-number ":" seq-number
    seq-number   = nz-number / "*"

"*" is the largest number in use (message count or highest UID); "n:m" is the same as
"m:n" (RFC 9051 9, seq-range); "$" is the result saved by SEARCH RETURN (SAVE)
(RFC 5182 2.1) and stands alone.

Invariants:
- A ``SequenceSet`` is immutable and never expanded eagerly: ``1:4294967295`` costs two
  integers. Resolution clamps "*" against the caller's ``largest`` and merges ranges, so
  work is bounded by the number of ranges in the text, not by the numbers they span.
- ``select`` intersects with the numbers that exist (sorted UIDs) by bisection, never by
  enumerating a range; ``expand`` is for message sequence numbers (bounded by the count).
- ``parse`` raises ``postroom.errors.Invalid`` on anything the grammar rejects
  (0, empty items, numbers above 2**32-1, "$" mixed with other items).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from postroom.errors import Invalid

__all__ = ["MAX_NUMBER", "SequenceSet", "format_set"]

MAX_NUMBER = 2**32 - 1  # RFC 9051 9: nz-number is a 32-bit unsigned value
_MAX_DIGITS = 10

Bound = int | None  # None is "*"


def _parse_number(text: str) -> Bound:
    if text == "*":
        return None
    if not text.isdigit() or not text.isascii() or len(text) > _MAX_DIGITS:
        raise Invalid("invalid sequence number")
    if text[0] == "0":
        raise Invalid("sequence numbers start at 1")
    value = int(text)
    if value > MAX_NUMBER:
        raise Invalid("sequence number out of range")
    return value


def _bound_text(value: Bound) -> str:
    return "*" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """A parsed sequence set: ranges of (first, last), None meaning "*".

    ``saved`` is True for "$" (RFC 5182); such a set has no ranges and the session must
    substitute the saved result (``SequenceSet.of(saved_numbers)``) before resolving it.
    """

    ranges: tuple[tuple[Bound, Bound], ...]
    saved: bool = False

    @classmethod
    def parse(cls, text: str | bytes) -> SequenceSet:
        """Parse the wire form; raise ``Invalid`` on bad syntax."""
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        if text == "$":
            return cls((), saved=True)
        if not text:
            raise Invalid("empty sequence set")
        ranges: list[tuple[Bound, Bound]] = []
        for item in text.split(","):
            first, sep, last = item.partition(":")
            start = _parse_number(first)
            ranges.append((start, _parse_number(last) if sep else start))
        return cls(tuple(ranges))

    @classmethod
    def of(cls, numbers: Iterable[int]) -> SequenceSet:
        """Build a set from explicit numbers (e.g. a saved SEARCH result)."""
        return cls(tuple(_runs(sorted(set(numbers)))))

    @property
    def has_star(self) -> bool:
        return any(first is None or last is None for first, last in self.ranges)

    def __str__(self) -> str:
        if self.saved:
            return "$"
        return ",".join(
            _bound_text(a) if a == b else f"{_bound_text(a)}:{_bound_text(b)}"
            for a, b in self.ranges
        )

    def resolve(self, largest: int) -> list[tuple[int, int]]:
        """Sorted, merged, inclusive ranges with "*" replaced by ``largest``.

        RFC 9051 6.4.8: "559:*" with a largest UID of 500 means 500:559, so the last
        message is always included. Zero never appears in the result.
        """
        if self.saved:
            raise ValueError("substitute the saved search result before resolving '$'")
        spans = []
        for first, last in self.ranges:
            a = largest if first is None else first
            b = largest if last is None else last
            low, high = (a, b) if a <= b else (b, a)
            if high >= 1:
                spans.append((max(low, 1), high))
        return _merge(spans)

    def contains(self, number: int, largest: int) -> bool:
        return any(low <= number <= high for low, high in self.resolve(largest))

    def check_sequence_numbers(self, count: int) -> None:
        """RFC 9051 6.4.x: a message sequence number above the count is a client error."""
        for first, last in self.ranges:
            for bound in (first, last):
                if bound is None and count == 0:
                    raise Invalid("the mailbox is empty")
                if bound is not None and bound > count:
                    raise Invalid("invalid message sequence number")

    def expand(self, largest: int) -> list[int]:
        """All numbers in the set up to ``largest``, ascending (for sequence numbers)."""
        out: list[int] = []
        for low, high in self.resolve(largest):
            out.extend(range(low, min(high, largest) + 1))
        return out

    def select(self, existing: Sequence[int]) -> list[int]:
        """The members of ``existing`` (sorted ascending, e.g. UIDs) inside the set.

        "*" is the last element of ``existing``; cost is O(ranges * log n + matches).
        """
        if not existing:
            return []
        out: list[int] = []
        for low, high in self.resolve(existing[-1]):
            start = bisect.bisect_left(existing, low)
            stop = bisect.bisect_right(existing, high)
            out.extend(existing[start:stop])
        return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _runs(numbers: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Consecutive ascending runs of ``numbers`` in the order given."""
    start = prev = None
    for number in numbers:
        if prev is not None and number == prev + 1:
            prev = number
            continue
        if start is not None and prev is not None:
            yield (start, prev)
        start = prev = number
    if start is not None and prev is not None:
        yield (start, prev)


def format_set(numbers: Iterable[int], *, sort: bool = True) -> str:
    """Compact wire form of ``numbers``: ``[1, 2, 3, 5]`` -> ``"1:3,5"``.

    With ``sort=False`` the order is kept and only ascending runs are joined: COPYUID
    (RFC 4315 3) pairs source and destination UIDs by position, so their order matters.
    An empty input gives "" (callers omit the response or code then).
    """
    values = sorted(set(numbers)) if sort else list(numbers)
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in _runs(values))
