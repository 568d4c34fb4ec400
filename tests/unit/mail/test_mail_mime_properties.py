"""Property tests for the MIME parser: total on any bytes, within limits, agrees with stdlib."""

from __future__ import annotations

import email
import json
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.utils import collapse_rfc2231_value

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.mail.mime import MimeLimits, Part
from postroom.mail.params import decode_params
from postroom.mail.summary import MessageSummary, decode_body, summarize, walk

LIMITS = MimeLimits()
# Kept small so the suite stays fast; a one-off run with 3,000 examples each also passed.
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def depth(part: Part) -> int:
    below = [*part.children, *([part.message] if part.message else [])]
    return 1 + max((depth(p) for p in below), default=0)


def check_invariants(raw: bytes, limits: MimeLimits = LIMITS) -> MessageSummary:
    """Everything the module docstrings promise about a summary of ``raw``."""
    s = summarize(raw, limits)
    assert "internal-error" not in s.defects
    parts = list(walk(s.structure))
    assert len(parts) <= limits.max_parts
    assert depth(s.structure) <= limits.max_depth
    for part in parts:
        assert 0 <= part.header_start <= part.body_start <= part.end <= len(raw)
        assert part.size == part.end - part.body_start >= 0
        assert (part.type == "multipart") == bool(part.children)
        assert (part.message is None) == (part.envelope is None)
        if part.message is not None:
            assert part.type == "message"
            assert (part.message.header_start, part.message.end) == (part.body_start, part.end)
        previous_end = part.body_start
        for child in part.children:
            assert previous_end <= child.header_start and child.end <= part.end
            previous_end = child.end
    assert len(s.text) <= limits.max_text_chars and len(s.preview) <= limits.preview_chars
    assert MessageSummary.from_json(json.loads(json.dumps(s.to_json()))) == s
    return s


# --- (a) total on arbitrary input, and limits hold ----------------------------------


@FAST
@given(st.binary(max_size=2000))
def test_summarize_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    check_invariants(raw)


MIME_ALPHABET = st.sampled_from(
    [b"--", b"\r\n", b"\n", b"\r\n\r\n", b":", b";", b" ", b"=", b'"', b"=?utf-8?q?", b"?=",
     b"Content-Type: multipart/mixed; boundary=b\r\n", b"--b\r\n", b"--b--", b"\xff", b"\x00",
     b"Content-Type: message/rfc822\r\n", b"Content-Transfer-Encoding: base64\r\n", b"a"]
)  # fmt: skip


@FAST
@given(st.lists(MIME_ALPHABET, max_size=80).map(b"".join))
def test_summarize_never_raises_on_mime_like_tokens(raw: bytes) -> None:
    check_invariants(raw)


def sample_multipart() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.org>"
    msg["To"] = "team: bob@example.com, carol@example.com;"
    msg["Subject"] = "Quarterly ÜBERSICHT"
    msg.set_content("Plain text body\nsecond line\n")
    msg.add_alternative("<p>HTML <i>body</i></p>", subtype="html")
    msg.add_attachment(b"\x00\x01\x02" * 50, maintype="image", subtype="png", filename="ä.png")
    inner = EmailMessage()
    inner["Subject"] = "inner"
    inner.set_content("inner body")
    msg.add_attachment(inner)
    return msg.as_bytes(policy=policy.SMTP)


SAMPLE = sample_multipart()


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    data = bytearray(SAMPLE)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["delete", "insert", "flip", "duplicate"]))
        length = draw(st.integers(1, 200))
        if kind == "delete":
            del data[pos : pos + length]
        elif kind == "insert":
            data[pos:pos] = draw(st.one_of(st.binary(max_size=20), MIME_ALPHABET))
        elif kind == "flip" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        else:
            data[pos:pos] = data[pos : pos + length]
    return bytes(data)


@SLOW
@given(mutated_sample())
def test_summarize_never_raises_on_mutated_multipart(raw: bytes) -> None:
    check_invariants(raw)


def test_sample_is_parsed_completely() -> None:
    s = check_invariants(SAMPLE)
    assert [p.content_type for p in walk(s.structure)] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html",
        "image/png", "message/rfc822", "text/plain",
    ]  # fmt: skip
    assert [a.filename for a in s.attachments] == ["ä.png", None]


def nested_multiparts(levels: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nleaf"
    for i in range(levels):
        b = b"b%d" % i
        body = (
            b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n"
            + body + b"\r\n--" + b + b"--\r\n"
        )  # fmt: skip
    return body


def test_500_nested_multiparts_stop_at_depth_100() -> None:
    s = check_invariants(nested_multiparts(500))
    assert depth(s.structure) == 100 and "depth-limit" in s.defects


def test_500_nested_messages_stop_at_depth_100() -> None:
    raw = b"Content-Type: message/rfc822\r\n\r\n" * 500 + b"Subject: deep\r\n\r\nleaf"
    s = check_invariants(raw)
    assert depth(s.structure) == 100 and "depth-limit" in s.defects


def test_20000_parts_stop_at_10000() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
    raw += b"--x\r\n\r\np\r\n" * 20_000 + b"--x--\r\n"
    s = check_invariants(raw)
    assert len(list(walk(s.structure))) == 10_000 and "part-limit" in s.defects


def test_header_limit_over_many_parts() -> None:
    header = b"X-Pad: " + b"y" * 1000 + b"\r\n"
    part = b"--x\r\n" + header * 20 + b"\r\nbody\r\n"
    raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + part * 100 + b"--x--\r\n"
    limits = MimeLimits(max_header_bytes=50_000)
    s = check_invariants(raw, limits)
    assert "header-limit" in s.defects
    read = sum(p.body_start - p.header_start for p in walk(s.structure) if p.message is None)
    assert read <= 50_000 + len(header)  # children beyond the budget are not created


def test_one_mebibyte_header_is_cut() -> None:
    folded = b"X-Pad: z\r\n" + (b" " + b"z" * 100 + b"\r\n") * 12_000  # one 1.2 MB field
    raw = b"Subject: big\r\n" + folded + b"\r\nbody"
    s = check_invariants(raw)
    assert "header-limit" in s.defects and s.structure.body_start == len(b"Subject: big\r\n")
    assert s.headers["subject"] == "big"


# --- (b) agreement with the stdlib on well-formed messages --------------------------


@dataclass(frozen=True)
class TextLeaf:
    text: str
    subtype: str
    charset: str
    cte: str | None


@dataclass(frozen=True)
class BinaryLeaf:
    data: bytes
    filename: str | None


@dataclass(frozen=True)
class Multi:
    subtype: str
    children: tuple[Tree, ...]


@dataclass(frozen=True)
class Encapsulated:
    inner: Tree


Tree = TextLeaf | BinaryLeaf | Multi | Encapsulated

TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFF) | st.just("\n"),
    max_size=200,
)


@st.composite
def text_leaf(draw: st.DrawFn) -> TextLeaf:
    text = draw(TEXT)
    charsets = ["utf-8"] + (["iso-8859-1"] if _encodes(text, "latin-1") else [])
    charsets += ["us-ascii"] if text.isascii() else []
    ctes = [None, "quoted-printable", "base64", "8bit"] + (["7bit"] if text.isascii() else [])
    return TextLeaf(
        text,
        draw(st.sampled_from(["plain", "html"])),
        draw(st.sampled_from(charsets)),
        draw(st.sampled_from(ctes)),
    )


def _encodes(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


FILENAME = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
)
LEAF = text_leaf() | st.builds(BinaryLeaf, st.binary(max_size=300), st.none() | FILENAME)
TREES = st.recursive(
    LEAF,
    lambda kids: (
        st.builds(
            Multi,
            st.sampled_from(["mixed", "alternative"]),
            st.lists(kids, min_size=1, max_size=4).map(tuple),
        )
        | st.builds(Encapsulated, kids)
    ),
    max_leaves=8,
)


def build(tree: Tree) -> EmailMessage:
    msg = EmailMessage()
    if isinstance(tree, TextLeaf):
        msg.set_content(tree.text, subtype=tree.subtype, charset=tree.charset, cte=tree.cte)
    elif isinstance(tree, BinaryLeaf):
        msg.set_content(
            tree.data, maintype="application", subtype="octet-stream", filename=tree.filename
        )
    elif isinstance(tree, Multi):
        msg["Content-Type"] = f"multipart/{tree.subtype}"
        for child in tree.children:
            msg.attach(build(child))
    else:
        inner = build(tree.inner)
        inner["Subject"] = "inner"
        msg.set_content(inner)
    return msg


def assert_agrees(raw: bytes, mine: Part, ref: Message) -> None:
    assert (mine.type, mine.subtype) == (ref.get_content_maintype(), ref.get_content_subtype())
    ref_params = [(k.lower(), collapse_rfc2231_value(v)) for k, v in (ref.get_params() or [])[1:]]
    assert decode_params(mine.params) == ref_params
    filename = dict(decode_params(mine.disposition_params)).get("filename")
    assert (filename and filename.strip()) == ref.get_filename()  # the stdlib strips
    if mine.message is not None:
        payload = ref.get_payload()  # the stdlib keeps message/rfc822 as a list of one
        assert isinstance(payload, list) and len(payload) == 1
        inner = payload[0]
        assert isinstance(inner, Message)
        assert_agrees(raw, mine.message, inner)
    elif mine.children:
        ref_children = ref.get_payload()
        assert isinstance(ref_children, list) and len(mine.children) == len(ref_children)
        for child, ref_child in zip(mine.children, ref_children, strict=True):
            assert_agrees(raw, child, ref_child)
    else:
        assert not ref.is_multipart()
        assert decode_body(raw, mine) == ref.get_payload(decode=True)


@SLOW
@given(TREES, st.sampled_from([policy.SMTP, policy.default]))
def test_structure_agrees_with_stdlib(tree: Tree, out_policy: policy.Policy) -> None:
    raw = build(tree).as_bytes(policy=out_policy)
    s = check_invariants(raw)
    assert s.defects == ()
    assert_agrees(raw, s.structure, email.message_from_bytes(raw, policy=policy.default))
