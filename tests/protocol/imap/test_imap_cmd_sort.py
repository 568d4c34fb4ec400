"""SORT (RFC 5256 3, RFC 5957 DISPLAYFROM/DISPLAYTO): keys, REVERSE, ties, UID SORT."""

from __future__ import annotations

import pytest

from postroom.protocols.imap.sort import base_subject
from tests.protocol.imap.test_imap_cmd_search import box  # noqa: F401 - fixture
from tests.protocol.imap.transcript import Transcript


@pytest.mark.parametrize(("criteria", "expected"), [
    ("(ARRIVAL)", "1 2 3 4"), ("(REVERSE ARRIVAL)", "4 3 2 1"),
    ("(DATE)", "1 2 3 4"), ("(SUBJECT)", "1 2 4 3"), ("(SUBJECT REVERSE DATE)", "2 1 4 3"),
    ("(FROM)", "1 4 2 3"), ("(TO)", "2 3 1 4"), ("(CC)", "2 3 4 1"),
    ("(SIZE)", "4 2 1 3"), ("(DISPLAYFROM)", "1 4 2 3"), ("(REVERSE SIZE)", "3 1 2 4"),
])
async def test_sort(box: Transcript, criteria: str, expected: str) -> None:  # noqa: F811
    reply = await box.send(f"a SORT {criteria} UTF-8 ALL")
    assert reply == f"* SORT {expected}\r\na OK SORT completed\r\n"


async def test_uid_sort_with_search(box: Transcript) -> None:  # noqa: F811
    assert await box.send("a UID SORT (REVERSE DATE) UTF-8 UNSEEN") == (
        "* SORT 4 3 2\r\na OK SORT completed\r\n")


def test_base_subject() -> None:
    assert base_subject("Re: [list] Fwd: Budget (fwd)") == "budget"
    assert base_subject("[Fwd: Re:  Lunch  ]") == "lunch"
    assert base_subject("RE:re: fw: Plan") == "plan"
    assert base_subject("[only blob]") == "[only blob]"
