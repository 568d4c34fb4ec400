"""Submission cleanup (RFC 6409 8): line endings, Date, Message-ID, From; DKIM signing."""

from __future__ import annotations

from datetime import UTC, datetime

import dkim

from postroom.delivery import cleanup
from postroom.delivery.dns import StaticResolver
from postroom.store.records import Domain, DomainStatus
from postroom.tenancy.organisations import generate_dkim_key
from tests.e2e.smtp_peer import publish_dkim


def test_bare_line_endings_become_crlf() -> None:
    assert cleanup.normalise_line_endings(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd"


def test_missing_fields_are_added() -> None:
    when = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    done = cleanup.cleanup(b"Subject: hi\nTo: bob@example.org\n\nbody\n",
                           mail_from="ann@example.org", hostname="mx.test",
                           display_name="Ann Example", now=when)
    head, body = done.message.split(b"\r\n\r\n", 1)
    assert body == b"body\r\n"
    assert b"\r\nFrom: Ann Example <ann@example.org>" in head
    assert b"\r\nDate: Sun, 01 Nov 2026 09:30:00 +0000" in head
    assert done.message_id.endswith("@example.org>")
    assert f"Message-ID: {done.message_id}".encode() in head
    assert done.from_addresses == ("ann@example.org",)


def test_present_fields_are_kept() -> None:
    raw = (b"From: Ann <ANN@example.org>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
           b"Message-ID: <given@example.org>\r\n\r\nbody\r\n")
    done = cleanup.cleanup(raw, mail_from="ann@example.org", hostname="mx.test")
    assert done.message == raw
    assert done.message_id == "<given@example.org>"
    assert done.from_addresses == ("ann@example.org",)


def test_header_only_message() -> None:
    done = cleanup.cleanup(b"Subject: no body", mail_from="a@example.org", hostname="h")
    assert done.message.endswith(b"\r\n\r\n")


def test_signature_verifies_and_covers_the_from_field() -> None:
    key = generate_dkim_key()
    raw = cleanup.cleanup(b"From: ann@example.org\r\nSubject: s\r\n\r\nbody\r\n",
                          mail_from="ann@example.org", hostname="h").message
    signed = cleanup.sign_sync(raw, domain="example.org", selector="postroom1",
                               private_key_pem=key)
    assert signed.endswith(raw) and signed.startswith(b"DKIM-Signature:")
    resolver = StaticResolver()
    publish_dkim(resolver, Domain(1, 1, "example.org", DomainStatus.ACTIVE, "postroom1", key))

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        return resolver.records[name.decode().rstrip(".")]["TXT"][0].encode()

    assert dkim.verify(signed, dnsfunc=txt)
    assert not dkim.verify(signed.replace(b"body", b"b0dy"), dnsfunc=txt)
    signature = signed[: len(signed) - len(raw)].replace(b"\r\n", b"").replace(b" ", b"")
    assert b"h=from:subject" in signature.replace(b"\t", b"")
