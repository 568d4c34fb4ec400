"""MX routing (RFC 5321 5.1, RFC 7505) over the injectable resolver."""

from __future__ import annotations

import pytest

from postroom.delivery.dns import StaticResolver
from postroom.delivery.remote import RemoteDelivery, RouteError


def _remote(records: dict[str, dict[str, list[str]]]) -> RemoteDelivery:
    return RemoteDelivery(StaticResolver(records), helo="mx.postroom.test")


async def test_mx_by_preference_with_addresses() -> None:
    r = _remote({"d.test": {"MX": ["20 b.d.test.", "10 a.d.test."]},
                 "a.d.test": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
                 "b.d.test": {"A": ["192.0.2.2"]}})
    assert await r.route("d.test") == [("a.d.test", ["192.0.2.1", "2001:db8::1"]),
                                       ("b.d.test", ["192.0.2.2"])]


async def test_implicit_mx() -> None:
    r = _remote({"d.test": {"A": ["192.0.2.9"]}})
    assert await r.route("d.test") == [("d.test", ["192.0.2.9"])]


@pytest.mark.parametrize(("records", "code", "status"), [
    ({"d.test": {"MX": ["0 ."]}}, 556, "5.1.10"),
    ({}, 550, "5.1.2"),
    ({"d.test": {"MX": ["10 gone.d.test"]}}, 451, "4.4.4"),
])
async def test_route_errors(records: dict[str, dict[str, list[str]]], code: int,
                            status: str) -> None:
    with pytest.raises(RouteError) as info:
        await _remote(records).route("d.test")
    assert (info.value.reply.code, info.value.reply.enhanced) == (code, status)


async def test_unreachable_host_is_temporary() -> None:
    r = _remote({"d.test": {"MX": ["10 mx.d.test"]}, "mx.d.test": {"A": ["127.0.0.1"]}})
    r.port = 1  # nothing listens there
    attempt = await r.send("d.test", "a@example.org", ["x@d.test"], b"Subject: x\r\n\r\n")
    reply = attempt.replies["x@d.test"]
    assert reply.code == 451 and not reply.permanent
