"""Arbitrary input never breaks a session: seeded random command lines built from IMAP
tokens (and raw bytes) are fed to a logged-in, selected session; every reply is a
complete line, nothing raises, and the session stays usable or says BYE."""

from __future__ import annotations

import random

from tests.protocol.imap.conftest import Open

TOKENS = [b"FETCH", b"UID", b"STORE", b"SEARCH", b"COPY", b"MOVE", b"SELECT", b"LIST",
          b"1", b"1:*", b"*", b"$", b"0", b"4294967296", b"(", b")", b"[", b"]", b"<0.5>",
          b"BODY[]", b"BODY.PEEK[HEADER.FIELDS (A)]", b"FLAGS", b"+FLAGS", b"\\Seen",
          b"INBOX", b'"quoted"', b"{3}", b"{2+}", b"NIL", b"OR", b"NOT", b"ALL", b"SINCE",
          b"1-Jan-2026", b"CHARSET", b"RETURN", b"(MIN)", b"CHANGEDSINCE", b"\xff\xfe", b"~{1}"]


async def test_random_commands(imap: Open, inbox: list[bytes]) -> None:
    rng = random.Random(20261129)
    t = imap()
    await t.login()
    await t.select()
    for i in range(400):
        if rng.random() < 0.2:
            line = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        else:
            line = b" ".join(rng.choice(TOKENS) for _ in range(rng.randrange(1, 8)))
        reply = await t.raw(b"f%d " % i + line.replace(b"\n", b"") + b"\r\n")
        assert not reply or reply.endswith(b"\r\n")
        if t.closing:
            break
        t.session.bad_commands = 0  # keep going: the BYE after ten BADs is tested elsewhere
    if not t.closing:
        # Finish whatever literal or IDLE the noise may have opened, then the session works.
        await t.raw(b"\r\n" * 3 + b"DONE\r\n")
        assert "z OK" in await t.send("z NOOP") or t.closing
