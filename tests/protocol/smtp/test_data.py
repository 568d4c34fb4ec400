"""DATA and BDAT readers: end detection, smuggling variants, dot-unstuffing, limits."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from postroom.protocols.smtp.data import (
    BodyChunk,
    ChunkReader,
    DataReader,
    EndOfChunk,
    EndOfData,
    Rejection,
)

END = b"\r\n.\r\n"


@dataclass
class Outcome:
    body: bytes
    ends: list[EndOfData]
    unread: bytes
    max_carried: int


def read(chunks: list[bytes], **options: int) -> Outcome:
    reader = DataReader(**options)
    body: list[bytes] = []
    ends: list[EndOfData] = []
    carried = 0
    for chunk in chunks:
        reader.feed(chunk)
        while (event := reader.next_event()) is not None:
            if isinstance(event, BodyChunk):
                body.append(event.data)
            else:
                ends.append(event)
        carried = max(carried, reader.carried)
    return Outcome(b"".join(body), ends, reader.take_unread(), carried)


def whole(data: bytes, **options: int) -> Outcome:
    return read([data], **options)


def bytewise(data: bytes, **options: int) -> Outcome:
    return read([data[i : i + 1] for i in range(len(data))], **options)


FEEDINGS = [whole, bytewise]


# --- dot-unstuffing and the end (RFC 5321 4.1.1.4, 4.5.2) ----------------------------------

UNSTUFFING = [
    (b".\r\n", b""),
    (b"hello\r\n.\r\n", b"hello\r\n"),
    (b"..\r\n.\r\n", b".\r\n"),
    (b"...x\r\n.\r\n", b"..x\r\n"),
    (b".x\r\n.\r\n", b"x\r\n"),
    (b"a\r\n..\r\n.\r\n", b"a\r\n.\r\n"),
    (b"a\r\n..\r\n..\r\n.\r\n", b"a\r\n.\r\n.\r\n"),
    (b"a.b\r\n.\r\n", b"a.b\r\n"),
    (b"a\r\n. \r\n.\r\n", b"a\r\n \r\n"),
    (b"\r\n\r\n.\r\n", b"\r\n\r\n"),
    (b"Subject: x\r\n\r\n..\r\n...\r\n.\r\n", b"Subject: x\r\n\r\n.\r\n..\r\n"),
]


@pytest.mark.parametrize("feed", FEEDINGS)
@pytest.mark.parametrize(("wire", "body"), UNSTUFFING)
def test_dot_unstuffing(feed: object, wire: bytes, body: bytes) -> None:
    outcome = feed(wire + b"QUIT\r\n")  # type: ignore[operator]
    assert outcome.body == body
    assert outcome.ends == [EndOfData(len(body))]
    assert outcome.unread == b"QUIT\r\n"


def test_end_split_across_every_boundary() -> None:
    wire = b"a\r\n..b\r\n.\r\nNOOP\r\n"
    for cut in range(len(wire) + 1):
        for second_cut in range(cut, len(wire) + 1):
            outcome = read([wire[:cut], wire[cut:second_cut], wire[second_cut:]])
            assert outcome.body == b"a\r\n.b\r\n"
            assert outcome.ends == [EndOfData(7)]
            assert outcome.unread == b"NOOP\r\n"


def test_bytes_fed_after_the_end_are_unread() -> None:
    reader = DataReader()
    reader.feed(b"x\r\n.\r\nRS")
    assert reader.next_event() == BodyChunk(b"x\r\n")
    assert reader.next_event() == EndOfData(3)
    assert reader.finished
    reader.feed(b"ET\r\n")
    assert reader.next_event() is None
    assert reader.take_unread() == b"RSET\r\n"


def test_no_end_without_final_dot() -> None:
    outcome = whole(b"hello\r\n.\r")
    assert outcome.ends == [] and outcome.body == b"hello\r\n"


# --- SMTP smuggling: only <CRLF>.<CRLF> ends the data --------------------------------------

SMUGGLED = b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged"
SMUGGLING = [
    b"\n.\n",
    b"\r.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\r\n.\r\r\n",
    b"\n.\r\r\n",
    b"\r\n\n.\n",
    b"\n..\n",
]


@pytest.mark.parametrize("feed", FEEDINGS)
@pytest.mark.parametrize("fake_end", SMUGGLING)
def test_smuggling_variants_never_end_the_message(feed: object, fake_end: bytes) -> None:
    wire = b"Subject: hi\r\n\r\nbody" + fake_end + SMUGGLED + END + b"QUIT\r\n"
    outcome = feed(wire)  # type: ignore[operator]
    assert len(outcome.ends) == 1
    assert outcome.ends[0].rejection is Rejection.BARE_LINE_ENDING
    assert outcome.unread == b"QUIT\r\n"  # consumed to the real end, in sync
    assert b"forged" not in outcome.body


@pytest.mark.parametrize("fake_end", SMUGGLING[:-2])
def test_smuggling_variant_alone_never_ends(fake_end: bytes) -> None:
    assert bytewise(b"body" + fake_end + b"QUIT\r\n").ends == []


@pytest.mark.parametrize("bare", [b"\r\r\n.\r\n", b"\n\r\n.\r\n"])
def test_real_end_after_bare_line_ending_ends_and_rejects(bare: bytes) -> None:
    for outcome in (whole(b"body" + bare + b"QUIT\r\n"), bytewise(b"body" + bare + b"QUIT\r\n")):
        assert [end.rejection for end in outcome.ends] == [Rejection.BARE_LINE_ENDING]
        assert outcome.unread == b"QUIT\r\n"


@pytest.mark.parametrize(
    "wire",
    [
        b"a\nb\r\n.\r\n",
        b"a\rb\r\n.\r\n",
        b"\n.\r\n.\r\n",
        b"\r\r\n.\r\n",
        b"a\r\n.\rx\r\n.\r\n",
        b"ab\r\r\n.\r\n",
        b"a\r\n\n\r\n.\r\n",
        b"ab\r",
    ],
)
def test_bare_cr_or_lf_anywhere_rejects(wire: bytes) -> None:
    if not wire.endswith(END):
        wire += END
    for outcome in (whole(wire), bytewise(wire)):
        assert [end.rejection for end in outcome.ends] == [Rejection.BARE_LINE_ENDING]
        assert not outcome.ends[0].accepted


def test_rejected_message_passes_nothing_after_the_problem() -> None:
    outcome = read([b"good\r\n", b"bad\nline\r\n", b"more\r\n.\r\n"])
    assert outcome.body == b"good\r\n"
    assert outcome.ends[0].rejection is Rejection.BARE_LINE_ENDING


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("feed", FEEDINGS)
def test_text_line_limit(feed: object) -> None:
    fits = b"x" * 998 + b"\r\n"
    assert feed(fits + b".\r\n").ends == [EndOfData(1000)]  # type: ignore[operator]
    over = feed(b"x" * 999 + b"\r\n.\r\n")  # type: ignore[operator]
    assert over.ends[0].rejection is Rejection.LINE_TOO_LONG
    assert len(over.body) < 999  # the chunk that crossed the limit was withheld


def test_stuffed_dot_does_not_count_towards_the_line_limit() -> None:
    outcome = whole(b".." + b"x" * 997 + b"\r\n.\r\n")
    assert outcome.ends == [EndOfData(1000)]


def test_line_limit_is_configurable_and_checked_across_feeds() -> None:
    outcome = read([b"abc", b"def", b"gh\r\n.\r\n"], line_limit=9)
    assert outcome.ends[0].rejection is Rejection.LINE_TOO_LONG
    outcome = read([b"abc", b"def", b"g\r\n.\r\n"], line_limit=9)
    assert outcome.ends == [EndOfData(9)]


@pytest.mark.parametrize("feed", FEEDINGS)
def test_size_limit(feed: object) -> None:
    exact = feed(b"x" * 98 + b"\r\n.\r\n", max_size=100)  # type: ignore[operator]
    assert exact.ends == [EndOfData(100)]
    over = feed(b"x" * 99 + b"\r\n.\r\nQUIT\r\n", max_size=100)  # type: ignore[operator]
    assert over.ends == [EndOfData(101, Rejection.TOO_BIG)]
    assert over.unread == b"QUIT\r\n"


def test_size_limit_stops_chunks_but_consumes_to_the_end() -> None:
    line = b"y" * 78 + b"\r\n"
    chunks = [line] * 200 + [b".\r\nQUIT\r\n"]
    outcome = read(chunks, max_size=1000)
    assert outcome.body == line * 12  # 960 octets passed, the 13th line crossed
    assert outcome.ends == [EndOfData(16000, Rejection.TOO_BIG)]
    assert outcome.unread == b"QUIT\r\n"


def test_first_rejection_wins() -> None:
    outcome = read([b"a\nb\r\n", b"x" * 2000 + b"\r\n.\r\n"], max_size=100)
    assert outcome.ends[0].rejection is Rejection.BARE_LINE_ENDING
    outcome = read([b"x" * 2000, b"\r\na\nb\r\n.\r\n"], max_size=10000)
    assert outcome.ends[0].rejection is Rejection.LINE_TOO_LONG


def test_carry_stays_tiny() -> None:
    wire = b"a\r\n..\r\n.b\r\n.\r" + b"\r\n" + b"x" * 50 + b"\r\n.\r\n"
    assert bytewise(wire).max_carried <= 2


# --- BDAT (RFC 3030) -------------------------------------------------------------------


def read_chunk(reader: ChunkReader, chunks: list[bytes]) -> tuple[bytes, list[EndOfChunk]]:
    body, ends = [], []
    for chunk in chunks:
        reader.feed(chunk)
        while (event := reader.next_event()) is not None:
            if isinstance(event, BodyChunk):
                body.append(event.data)
            else:
                ends.append(event)
    return b"".join(body), ends


def test_bdat_reads_exact_octets_without_unstuffing() -> None:
    reader = ChunkReader()
    reader.begin(11, last=False)
    body, ends = read_chunk(reader, [b"a\r\n.\r\n..\nx\r", b"QUIT\r\n"])
    assert body == b"a\r\n.\r\n..\nx\r"
    assert ends == [EndOfChunk(11, 11, False)]
    assert reader.take_unread() == b"QUIT\r\n"
    assert not reader.active


def test_bdat_bytewise_and_several_chunks() -> None:
    reader = ChunkReader()
    reader.begin(5, last=False)
    body, ends = read_chunk(reader, [bytes([b]) for b in b"hello"])
    assert body == b"hello" and ends == [EndOfChunk(5, 5, False)]
    reader.begin(6, last=True)
    body, ends = read_chunk(reader, [b" world", b"BDAT"])
    assert body == b" world" and ends == [EndOfChunk(6, 11, True)]
    assert reader.take_unread() == b"BDAT"


def test_bdat_zero_last() -> None:
    reader = ChunkReader()
    reader.begin(0, last=True)
    assert reader.next_event() == EndOfChunk(0, 0, True)
    assert reader.next_event() is None


def test_bdat_size_limit_consumes_and_drops() -> None:
    reader = ChunkReader(max_size=10)
    reader.begin(8, last=False)
    body, ends = read_chunk(reader, [b"12345678"])
    assert body == b"12345678" and ends[0].accepted
    reader.begin(5, last=False)
    body, ends = read_chunk(reader, [b"abcdeNOOP\r\n"])
    assert body == b"" and ends == [EndOfChunk(5, 13, False, Rejection.TOO_BIG)]
    assert reader.take_unread() == b"NOOP\r\n"
    reader.begin(1, last=True)
    body, ends = read_chunk(reader, [b"z"])
    assert body == b"" and ends[0].rejection is Rejection.TOO_BIG


def test_bdat_begin_while_reading_is_a_bug() -> None:
    reader = ChunkReader()
    reader.begin(3, last=False)
    with pytest.raises(RuntimeError):
        reader.begin(3, last=False)


def test_bdat_idle_reader_keeps_bytes() -> None:
    reader = ChunkReader()
    reader.feed(b"early")
    assert reader.next_event() is None
    reader.begin(3, last=True)
    assert reader.next_event() == BodyChunk(b"ear")
    assert reader.next_event() == EndOfChunk(3, 3, True)
    assert reader.take_unread() == b"ly"
