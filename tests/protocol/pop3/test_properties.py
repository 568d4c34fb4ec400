"""Property tests of the POP3 reader and the RETR/TOP encoder: never raise, stay
bounded, ignore chunking, round-trip dot-stuffing, sizes agree with RETR."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.protocols.pop3.commands import CommandReader, Event
from postroom.protocols.pop3.dotstuff import encode_message, encode_top, unstuff, wire_size

SETTINGS = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

interesting = st.binary(max_size=300) | st.lists(
    st.sampled_from([b"\r", b"\n", b".", b"\r\n", b"\n.", b" ", b"x", b"USER ", b"PASS ",
                     b"RETR ", b"TOP 1 ", b"1", b"AUTH ", b"*", b"\xff"]),
    max_size=150,
).map(b"".join)  # fmt: skip


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def reader_events(chunks: list[bytes], sasl_every: int) -> list[Event]:
    reader = CommandReader(line_limit=40, argument_limit=8, sasl_line_limit=80)
    events: list[Event] = []
    for chunk in chunks:
        reader.feed(chunk)
        while True:
            if sasl_every and len(events) % sasl_every == 0:
                reader.expect_sasl_response()
            event = reader.next_event()
            if event is None:
                break
            events.append(event)
        assert reader.buffered < 80  # bounded: one partial line at most
    return events


@SETTINGS
@given(
    data=interesting,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    sasl_every=st.integers(0, 3),
)
def test_reader_never_raises_and_ignores_chunking(
    data: bytes, cuts: list[int], sasl_every: int
) -> None:
    assert reader_events([data], sasl_every) == reader_events(split(data, cuts), sasl_every)


def normalise(message: bytes) -> bytes:
    """The wire form before stuffing, computed the slow, obvious way."""
    out = bytearray()
    for index, octet in enumerate(message):
        if octet == 0x0A and not (index and message[index - 1] == 0x0D):
            out += b"\r\n"
        else:
            out.append(octet)
    if out and not out.endswith(b"\n"):
        out += b"\r\n"
    return bytes(out)


messages = st.binary(max_size=300) | st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b".", b"..", b"a", b"From: x", b" "]), max_size=80
).map(b"".join)


@SETTINGS
@given(message=messages, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_retr_round_trips_and_sizes_agree(message: bytes, cuts: list[int]) -> None:
    wire = b"".join(encode_message(split(message, cuts)))
    assert wire == b"".join(encode_message([message]))  # chunking does not matter
    assert wire.endswith(b".\r\n")
    body = unstuff(wire)
    assert body == normalise(message)
    assert len(body) == wire_size(message) == wire_size(split(message, cuts))
    lines = wire.split(b"\r\n")[:-2]
    assert b"." not in lines  # no early termination line


line_text = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@SETTINGS
@given(lines=st.lists(line_text | st.sampled_from([b".", b"..", b".x"]), max_size=30))
def test_crlf_messages_round_trip_exactly(lines: list[bytes]) -> None:
    message = b"".join(line + b"\r\n" for line in lines)
    assert unstuff(b"".join(encode_message([message]))) == message


@SETTINGS
@given(
    message=messages,
    lines=st.integers(0, 10),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_top_is_a_prefix_of_retr(message: bytes, lines: int, cuts: list[int]) -> None:
    top = b"".join(encode_top(split(message, cuts), lines))
    assert top == b"".join(encode_top([message], lines))
    full = unstuff(b"".join(encode_message([message])))
    head = unstuff(top)
    assert full.startswith(head)  # cut only after a line end, or not at all
    assert head == b"" or head.endswith(b"\r\n")
    assert b"".join(encode_top([message], 10**6)) == b"".join(encode_message([message]))
