"""Property tests of the SMTP readers: never raise, stay bounded, ignore chunking,
find exactly the RFC 5321 end of data, and round-trip dot-stuffing."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.protocols.smtp.commands import CommandReader, Event
from postroom.protocols.smtp.data import BodyChunk, ChunkReader, DataReader, EndOfData

SETTINGS = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Bytes rich in the octets that matter: CR, LF, ".", space, "<", ">", ":", "@".
interesting = st.binary(max_size=400) | st.lists(
    st.sampled_from([b"\r", b"\n", b".", b"\r\n", b"\r\n.", b" ", b"<", b">", b":", b"@", b"x",
                     b"MAIL FROM:", b"RCPT TO:", b"AUTH ", b"DATA", b"\xc3\xbc", b"\xff"]),
    max_size=200,
).map(b"".join)  # fmt: skip


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def command_events(chunks: list[bytes], reader: CommandReader) -> list[Event]:
    events: list[Event] = []
    for chunk in chunks:
        reader.feed(chunk)
        while (event := reader.next_event()) is not None:
            events.append(event)
        assert reader.buffered < reader.auth_line_limit  # bounded: one partial line at most
    return events


@SETTINGS
@given(data=interesting, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_command_reader_never_raises_and_ignores_chunking(data: bytes, cuts: list[int]) -> None:
    whole = command_events([data], CommandReader(line_limit=64, auth_line_limit=128))
    chunked = command_events(split(data, cuts), CommandReader(line_limit=64, auth_line_limit=128))
    assert whole == chunked


@SETTINGS
@given(data=st.binary(min_size=1, max_size=100), repeat=st.integers(1, 50))
def test_command_reader_buffer_stays_below_the_limit(data: bytes, repeat: int) -> None:
    reader = CommandReader(line_limit=32, auth_line_limit=64)
    for _ in range(repeat):
        reader.feed(data)
        while reader.next_event() is not None:
            pass
        assert reader.buffered < 64


def data_outcome(chunks: list[bytes], **options: int) -> tuple[bytes, list[EndOfData], bytes]:
    reader = DataReader(**options)
    body: list[bytes] = []
    ends: list[EndOfData] = []
    for chunk in chunks:
        reader.feed(chunk)
        while (event := reader.next_event()) is not None:
            if isinstance(event, BodyChunk):
                body.append(event.data)
            else:
                ends.append(event)
        assert reader.carried <= 2  # bounded: never more than ".\r" held back
    return b"".join(body), ends, reader.take_unread()


@SETTINGS
@given(data=interesting, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_data_reader_ends_exactly_at_the_first_crlf_dot_crlf(data: bytes, cuts: list[int]) -> None:
    # The data starts at a line start, as if preceded by the CRLF of "DATA<CRLF>".
    end = (b"\r\n" + data).find(b"\r\n.\r\n")
    body, ends, unread = data_outcome(split(data, cuts), max_size=10**9, line_limit=10**9)
    if end < 0:
        assert ends == []
        return
    assert len(ends) == 1
    assert unread == data[end + 3 :]
    message = data[:end]  # still dot-stuffed
    bare = message.count(b"\r") != message.count(b"\r\n") or message.count(b"\n") != message.count(
        b"\r\n"
    )
    assert (ends[0].rejection is not None) == bare
    if not bare:
        assert body == unstuff(message)
        assert ends[0].size == len(body)


def unstuff(message: bytes) -> bytes:
    lines = message.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


@SETTINGS
@given(data=interesting, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_data_reader_ignores_chunking(data: bytes, cuts: list[int]) -> None:
    whole = data_outcome([data], max_size=300, line_limit=40)
    chunked = data_outcome(split(data, cuts), max_size=300, line_limit=40)
    assert whole[1:] == chunked[1:]
    if whole[1] and whole[1][0].accepted:
        assert whole[0] == chunked[0]


line_text = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@SETTINGS
@given(
    lines=st.lists(line_text | st.sampled_from([b".", b"..", b". ", b".x"]), max_size=30),
    trailer=st.binary(max_size=20),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_dot_stuffing_round_trips(lines: list[bytes], trailer: bytes, cuts: list[int]) -> None:
    body = b"".join(line + b"\r\n" for line in lines)
    stuffed = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    wire = stuffed + b".\r\n" + trailer
    received, ends, unread = data_outcome(split(wire, cuts))
    assert received == body
    assert ends == [EndOfData(len(body))]
    assert unread == trailer


@SETTINGS
@given(
    sizes=st.lists(st.integers(0, 50), min_size=1, max_size=5),
    data=st.binary(min_size=300, max_size=300),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
    max_size=st.integers(0, 300),
)
def test_chunk_reader_reads_exact_counts(
    sizes: list[int], data: bytes, cuts: list[int], max_size: int
) -> None:
    reader = ChunkReader(max_size=max_size)
    pending = split(data, cuts)
    offset = 0
    for index, size in enumerate(sizes):
        reader.begin(size, last=index == len(sizes) - 1)
        received = b""
        end = None
        while end is None:
            event = reader.next_event()
            if event is None:
                reader.feed(pending.pop(0))
            elif isinstance(event, BodyChunk):
                received += event.data
            else:
                end = event
        assert end.size == size and end.total == offset + size
        assert end.accepted == (offset + size <= max_size)
        if end.accepted:
            assert received == data[offset : offset + size]
        offset += size
        leftover = reader.take_unread()
        pending.insert(0, leftover)
    assert b"".join(pending) == data[offset:]
