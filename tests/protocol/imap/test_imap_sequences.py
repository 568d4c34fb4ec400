"""Sequence sets (RFC 9051 9, RFC 5182 "$") and the session-state table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postroom.errors import Invalid
from postroom.protocols.imap.sequences import SequenceSet, format_set
from postroom.protocols.imap.states import State, allowed_commands, is_allowed

S = SequenceSet.parse


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("1", ((1, 1),)),
        ("*", ((None, None),)),
        ("2:4", ((2, 4),)),
        ("4:2", ((4, 2),)),
        ("1:*", ((1, None),)),
        ("*:3", ((None, 3),)),
        ("2,4:7,9,12:*", ((2, 2), (4, 7), (9, 9), (12, None))),
        ("4294967295", ((4294967295, 4294967295),)),
    ],
)
def test_parse(text: str, ranges: tuple[tuple[int | None, int | None], ...]) -> None:
    parsed = S(text)
    assert parsed.ranges == ranges
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "1:0",
        "01",
        ",",
        "1,",
        ",1",
        "1::2",
        "1:2:3",
        "a",
        "-1",
        "4294967296",
        "$,1",
        "$$",
        "１",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(Invalid):
        S(text)


def test_saved_result() -> None:
    saved = S("$")
    assert saved.saved and str(saved) == "$"
    with pytest.raises(ValueError):
        saved.resolve(10)


@pytest.mark.parametrize(
    ("text", "largest", "resolved"),
    [
        ("2:4", 10, [(2, 4)]),
        ("4:2", 10, [(2, 4)]),
        ("*", 10, [(10, 10)]),
        ("1:*", 10, [(1, 10)]),
        ("559:*", 500, [(500, 559)]),  # RFC 9051 6.4.8: the last message is included
        ("5,3,4,1:2", 10, [(1, 5)]),
        ("1:3,2:8,20", 30, [(1, 8), (20, 20)]),
        ("1:*", 0, [(1, 1)]),
    ],
)
def test_resolve(text: str, largest: int, resolved: list[tuple[int, int]]) -> None:
    assert S(text).resolve(largest) == resolved


def test_expand_sequence_numbers() -> None:
    assert S("2,4:*").expand(6) == [2, 4, 5, 6]
    assert S("7:9").expand(8) == [7, 8]


def test_check_sequence_numbers() -> None:
    S("1:5,*").check_sequence_numbers(5)
    with pytest.raises(Invalid):
        S("6").check_sequence_numbers(5)
    with pytest.raises(Invalid):
        S("*").check_sequence_numbers(0)


def test_select_existing_uids_without_enumerating_ranges() -> None:
    uids = [3, 7, 100, 4_000_000_000]
    assert S("1:4294967295").select(uids) == uids
    assert S("5:200").select(uids) == [7, 100]
    assert S("*").select(uids) == [4_000_000_000]
    assert S("4000000001:*").select(uids) == [4_000_000_000]
    assert S("1").select([]) == []


def test_contains() -> None:
    assert S("1:3,*").contains(10, 10)
    assert not S("1:3").contains(4, 10)


@pytest.mark.parametrize(
    ("numbers", "text"),
    [([], ""), ([5], "5"), ([1, 2, 3, 5], "1:3,5"), ([9, 1, 2, 2, 10], "1:2,9:10")],
)
def test_format_set(numbers: list[int], text: str) -> None:
    assert format_set(numbers) == text


def test_format_set_keeps_order_for_copyuid() -> None:
    assert format_set([5, 6, 1, 2], sort=False) == "5:6,1:2"


@given(st.lists(st.integers(1, 2**32 - 1), min_size=1, max_size=50))
def test_format_then_parse_round_trip(numbers: list[int]) -> None:
    parsed = S(format_set(numbers))
    assert parsed.select(sorted(set(numbers))) == sorted(set(numbers))
    assert SequenceSet.of(numbers).resolve(2**32 - 1) == parsed.resolve(2**32 - 1)


@given(st.lists(st.integers(1, 60), max_size=20), st.integers(0, 60))
def test_expand_matches_brute_force(numbers: list[int], count: int) -> None:
    text = format_set(numbers) or "1"
    expected = [n for n in range(1, count + 1) if n in set(numbers or [1])]
    assert S(text).expand(count) == expected


# -- states --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "name", "allowed"),
    [
        (State.NOT_AUTHENTICATED, "LOGIN", True),
        (State.NOT_AUTHENTICATED, "CAPABILITY", True),
        (State.NOT_AUTHENTICATED, "SELECT", False),
        (State.AUTHENTICATED, "LOGIN", False),
        (State.AUTHENTICATED, "STARTTLS", False),
        (State.AUTHENTICATED, "ENABLE", True),
        (State.AUTHENTICATED, "FETCH", False),
        (State.AUTHENTICATED, "IDLE", True),
        (State.SELECTED, "FETCH", True),
        (State.SELECTED, "UID EXPUNGE", True),
        (State.SELECTED, "ENABLE", False),
        (State.SELECTED, "SELECT", True),
        (State.LOGOUT, "NOOP", False),
    ],
)
def test_is_allowed(state: State, name: str, allowed: bool) -> None:
    assert is_allowed(state, name) is allowed


def test_any_state_commands() -> None:
    for state in (State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED):
        assert {"CAPABILITY", "NOOP", "LOGOUT", "ID"} <= allowed_commands(state)
