"""Property test of the whole session: whatever bytes arrive, in whatever pieces, the
server answers with well-formed reply lines, never raises, and its command buffer stays
under the AUTH line limit (DESIGN section 5)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.protocol.smtp.transcript import SmtpWorld

REPLY_LINE = re.compile(rb"[2-5][0-9]{2}[ -][\x20-\x7e]*")
PIECES = [b"EHLO a.example\r\n", b"MAIL FROM:<a@remote.test>\r\n",
          b"RCPT TO:<ann@example.org>\r\n", b"DATA\r\n", b"BDAT 5\r\n", b"BDAT 3 LAST\r\n",
          b".\r\n", b"\r\n", b"\n.\n", b"\r",
          b"RSET\r\n", b"AUTH PLAIN\r\n", b"*\r\n", b"Subject: x\r\n", b"x" * 600, b"\x00",
          b"NOOP\r\n", b"STARTTLS\r\n"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(pieces=st.lists(st.sampled_from(PIECES) | st.binary(max_size=40), max_size=25),
       cuts=st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=10))
async def test_any_input_gives_well_formed_replies(world: SmtpWorld, pieces: list[bytes],
                                                   cuts: list[int]) -> None:
    t = await world.talk()
    data = b"".join(pieces)
    out = b""
    position, index = 0, 0
    while position < len(data) and not t.session.closing and not t.session.tls_pending:
        step = cuts[index % len(cuts)]
        out += (await t.send(data[position:position + step])).encode()
        position += step
        index += 1
    for line in out.split(b"\r\n")[:-1]:
        assert REPLY_LINE.fullmatch(line), line
    assert t.conversation.commands.buffered < 12288
    t.conversation.close()
