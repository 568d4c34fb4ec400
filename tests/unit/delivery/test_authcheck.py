"""SPF, DKIM and DMARC of inbound mail, on a static resolver."""

from __future__ import annotations

from postroom.delivery import cleanup
from postroom.delivery.authcheck import AuthChecker
from postroom.delivery.dns import StaticResolver
from postroom.store.records import Domain, DomainStatus
from postroom.tenancy.organisations import generate_dkim_key
from tests.e2e.smtp_peer import publish_dkim

MESSAGE = b"From: Sender <news@sender.test>\r\nSubject: s\r\n\r\nbody\r\n"


def _resolver() -> StaticResolver:
    r = StaticResolver()
    r.add("sender.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    r.add("soft.test", "TXT", "v=spf1 ~all")
    r.add("_dmarc.sender.test", "TXT", "v=DMARC1; p=reject")
    return r


async def _check(r: StaticResolver, ip: str, mail_from: str, message: bytes = MESSAGE):  # type: ignore[no-untyped-def]
    return await AuthChecker(r).check(ip=ip, helo="client.sender.test", mail_from=mail_from,
                                      message=message, size=len(message))


async def test_spf_results() -> None:
    r = _resolver()
    assert (await _check(r, "192.0.2.7", "a@sender.test")).spf == "pass"
    assert (await _check(r, "198.51.100.1", "a@sender.test")).spf == "fail"
    assert (await _check(r, "198.51.100.1", "a@soft.test")).spf == "softfail"
    assert (await _check(r, "198.51.100.1", "a@unknown.test")).spf == "none"


async def test_null_sender_checks_the_helo_name() -> None:
    verdict = await _check(_resolver(), "192.0.2.7", "")
    assert verdict.spf_scope_helo and verdict.spf_identity == "client.sender.test"


async def test_dmarc_passes_with_aligned_spf_and_fails_without() -> None:
    r = _resolver()
    assert (await _check(r, "192.0.2.7", "bounce@sender.test")).dmarc == "pass"
    failed = await _check(r, "198.51.100.1", "bounce@sender.test")
    assert failed.dmarc == "fail"
    header = failed.header("mx.postroom.test").decode()
    assert header.startswith("Authentication-Results: mx.postroom.test;")
    assert "spf=fail" in header and "dmarc=fail header.from=sender.test" in header


async def test_dmarc_uses_the_organisational_domain() -> None:
    r = _resolver()
    message = MESSAGE.replace(b"news@sender.test", b"news@mail.sender.test")
    verdict = await _check(r, "192.0.2.7", "bounce@sender.test", message)
    assert verdict.header_from == "mail.sender.test"
    assert verdict.dmarc == "pass"  # relaxed alignment via sender.test's record


async def test_dkim_pass_aligns_dmarc_even_when_spf_fails() -> None:
    r = _resolver()
    key = generate_dkim_key()
    publish_dkim(r, Domain(1, 1, "sender.test", DomainStatus.ACTIVE, "sel", key))
    signed = cleanup.sign_sync(MESSAGE, domain="sender.test", selector="sel",
                               private_key_pem=key)
    verdict = await _check(r, "198.51.100.1", "other@elsewhere.test", signed)
    assert [(d.result, d.domain, d.selector) for d in verdict.dkim] == [
        ("pass", "sender.test", "sel")]
    assert verdict.dmarc == "pass"
    tampered = signed.replace(b"body", b"b0dy")
    assert (await _check(r, "198.51.100.1", "o@elsewhere.test", tampered)).dkim[0].result \
        == "fail"


async def test_no_signature_and_no_record() -> None:
    verdict = await _check(StaticResolver(), "192.0.2.7", "a@nowhere.test")
    assert verdict.spf == "none" and verdict.dkim == () and verdict.dmarc == "none"
    assert "dkim=none" in verdict.header("h").decode()
