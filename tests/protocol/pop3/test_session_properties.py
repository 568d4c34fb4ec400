"""Property tests of the session: whatever bytes arrive, in whatever chunks, the session
never raises, answers only with well-formed lines, keeps its buffer bounded, and never
authenticates without valid credentials."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.errors import AuthenticationFailed
from postroom.protocols.pop3.commands import DEFAULT_SASL_LINE_LIMIT
from postroom.protocols.pop3.maildrop import MaildropLocks, SizeCache
from postroom.protocols.pop3.session import Session, SessionEnv
from postroom.protocols.pop3.states import SessionState
from tests.protocol.pop3.transcript import Recorder

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

pieces = st.lists(
    st.sampled_from([b"USER a@b.c\r\n", b"PASS x y\r\n", b"AUTH PLAIN\r\n", b"AUTH PLAIN =\r\n",
                     b"AGIA\r\n", b"*\r\n", b"CAPA\r\n", b"STLS\r\n", b"QUIT\r\n", b"STAT\r\n",
                     b"RETR 1\r\n", b"APOP a 0123456789abcdef0123456789abcdef\r\n", b"\r\n",
                     b"\n", b"\r", b"x" * 300, b"\xff\xfe", b"LIST 99999999999999999999\r\n"]),
    max_size=40,
).map(b"".join) | st.binary(max_size=600)


class RefusingAuth:
    """An authenticator that refuses everyone (no store needed)."""

    async def login(self, address: str, password: str, *, ip: str | None = None) -> None:
        raise AuthenticationFailed()


def env() -> SessionEnv:
    return SessionEnv(mail=None, auth=RefusingAuth(), locks=MaildropLocks(),  # type: ignore[arg-type]
                      sizes=SizeCache(), plaintext_allowed=lambda ip, tls: True,
                      tls_available=True)


def well_formed(out: bytes) -> bool:
    """Output ends with CRLF and no line is over 512 octets (RFC 2449 4)."""
    if out and not out.endswith(b"\r\n"):
        return False
    return all(len(line) <= 512 for line in out.split(b"\r\n"))


@SETTINGS
@given(data=pieces, cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=8))
def test_any_input_is_answered_safely(data: bytes, cuts: list[int]) -> None:
    out = Recorder()
    session = Session(env(), out, peer_ip="127.0.0.1", tls=False)
    session.start()
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]

    async def feed() -> None:
        for chunk in chunks:
            if session.closing:
                break
            await session.receive(chunk)
            if session.tls_pending:
                session.tls_started()
            assert session.reader.buffered <= DEFAULT_SASL_LINE_LIMIT

    asyncio.run(feed())
    session.close()
    written = bytes(out.data)
    assert written.startswith(b"+OK POP3 server ready\r\n")
    assert well_formed(written)
    assert session.state is SessionState.AUTHORIZATION
    assert session.maildrop is None
