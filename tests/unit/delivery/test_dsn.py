"""DSNs (RFC 3464): a multipart/report with a machine-readable part per recipient."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from postroom.delivery.dsn import DsnRecipient, build_dsn

ORIGINAL = b"From: ann@example.org\r\nSubject: Secret plans\r\n\r\nthe body\r\n"


def _dsn(full: bool = False, action: str = "failed") -> bytes:
    return build_dsn(
        hostname="mx.postroom.test", to="ann@example.org", queue_id="Q1", original=ORIGINAL,
        arrival=datetime(2026, 11, 1, tzinfo=UTC), envid="env-1", full=full,
        recipients=[DsnRecipient("x@remote.test", action,
                                 "5.1.1" if action == "failed" else "4.4.1",
                                 "mx.remote.test", "550 5.1.1 no such user",
                                 "rfc822;X@remote.test")])


def test_structure_and_fields() -> None:
    msg = message_from_bytes(_dsn(), policy=policy.default)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["Auto-Submitted"] == "auto-replied"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers"]
    status = parts[1].as_bytes()
    for field in (b"Reporting-MTA: dns; mx.postroom.test", b"Original-Envelope-Id: env-1",
                  b"Final-Recipient: rfc822; x@remote.test", b"Action: failed",
                  b"Status: 5.1.1", b"Remote-MTA: dns; mx.remote.test",
                  b"Diagnostic-Code: smtp; 550 5.1.1 no such user",
                  b"Original-Recipient: rfc822;X@remote.test"):
        assert field in status
    assert b"the body" not in _dsn()  # headers only by default


def test_ret_full_returns_the_whole_message() -> None:
    assert b"the body" in _dsn(full=True)
    assert b"Content-Type: message/rfc822" in _dsn(full=True)


def test_delay_notice_wording() -> None:
    raw = _dsn(action="delayed")
    assert b"Subject: Delivery delayed" in raw and b"Action: delayed" in raw
