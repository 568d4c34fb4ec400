"""Sender authentication of inbound mail: SPF, DKIM and DMARC -> Authentication-Results.

SPF (RFC 7208) with pyspf for the MAIL FROM identity (or the HELO name for the null
sender, RFC 7208 2.3); DKIM (RFC 6376) verification of every signature with dkimpy;
DMARC (RFC 7489) with the ``dmarc`` package, the organisational domain taken from the
public suffix list shipped in the ``publicsuffixlist`` package (no network at run
time). The result is one ``Authentication-Results`` field (RFC 8601) made with authres.

Invariants:
- The checks never reject mail and never raise: a DNS problem gives ``temperror``, a
  malformed record ``permerror``; the session decides nothing from them (yet).
- pyspf and dkimpy are synchronous: they run in a worker thread and ask the event
  loop's resolver through ``SyncBridge``, so a slow DNS server never stalls other
  sessions, and the whole check is bounded by ``timeout``.
- Messages larger than ``dkim_max_size`` are not read into memory for DKIM: their
  signatures are reported as ``neutral``.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from dataclasses import dataclass, field
from typing import Any

import authres
import authres.dmarc
import dkim
import dmarc
import spf
from publicsuffixlist import PublicSuffixList

from postroom.delivery.dns import DnsTemporary, Resolver, SyncBridge

DKIM_MAX_SIZE = 10 * 1024 * 1024
_SIGNATURE = re.compile(rb"^dkim-signature:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class DkimVerdict:
    result: str
    domain: str
    selector: str


@dataclass(frozen=True)
class AuthVerdict:
    """What the checks found; ``header`` renders it for the message."""

    spf: str = "none"
    spf_identity: str = ""  # smtp.mailfrom or smtp.helo
    spf_scope_helo: bool = False
    dkim: tuple[DkimVerdict, ...] = ()
    dmarc: str | None = None
    header_from: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def header(self, authserv_id: str) -> bytes:
        results: list[Any] = []
        if self.spf_scope_helo:
            results.append(authres.SPFAuthenticationResult(
                result=self.spf, smtp_helo=self.spf_identity or None))
        else:
            results.append(authres.SPFAuthenticationResult(
                result=self.spf, smtp_mailfrom=self.spf_identity or None))
        for d in self.dkim:
            results.append(authres.DKIMAuthenticationResult(
                result=d.result, header_d=d.domain or None, header_s=d.selector or None))
        if not self.dkim:
            results.append(authres.DKIMAuthenticationResult(result="none"))
        if self.dmarc is not None:
            results.append(authres.dmarc.DMARCAuthenticationResult(
                result=self.dmarc, header_from=self.header_from))
        text = str(authres.AuthenticationResultsHeader(authserv_id=authserv_id,
                                                       results=results))
        return _fold(text).encode("utf-8") + b"\r\n"


def _fold(text: str, width: int = 78) -> str:
    """Fold at the "; " between results (RFC 5322 2.2.3)."""
    parts = text.split("; ")
    lines, current = [], parts[0]
    for part in parts[1:]:
        if len(current) + len(part) + 2 > width:
            lines.append(current + ";")
            current = "\t" + part
        else:
            current += "; " + part
    lines.append(current)
    return "\r\n".join(lines)


class _OrgDomains:
    """The ``dmarc`` package's public-suffix interface over ``publicsuffixlist``."""

    def __init__(self) -> None:
        self._psl = PublicSuffixList()

    def get_public_suffix(self, domain: str) -> str:
        return self._psl.privatesuffix(domain.lower().rstrip(".")) or domain

    def org_domain(self, domain: str) -> str:
        return self.get_public_suffix(domain)


class _SpfQuery(spf.query):
    """pyspf's query with its DNS look-ups answered by our resolver."""

    def __init__(self, bridge: SyncBridge, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bridge = bridge

    def dns(self, name: Any, qtype: str, cnames: Any = None,
            ignore_void: bool = False) -> list[Any]:
        key = (str(name).rstrip(".").lower(), qtype)
        if key in self.cache:
            return list(self.cache[key])
        try:
            values = self._bridge.lookup(key[0], "TXT" if qtype == "SPF" else qtype) or []
        except DnsTemporary:
            raise spf.TempError("DNS lookup failed") from None
        result = [_spf_value(qtype, v) for v in values]
        self.cache[key] = result
        if not result and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError("void lookup limit exceeded")
        return list(result)


def _spf_value(qtype: str, value: str) -> Any:
    if qtype in ("TXT", "SPF"):
        return (value.encode("utf-8"),)
    if qtype == "MX":
        pref, _, host = value.partition(" ")
        return (int(pref), host.rstrip("."))
    return value


class AuthChecker:
    """SPF, DKIM and DMARC for one node, on an injectable resolver."""

    def __init__(self, resolver: Resolver, *, timeout: float = 10.0,
                 dkim_max_size: int = DKIM_MAX_SIZE) -> None:
        self.resolver = resolver
        self.timeout = timeout
        self.dkim_max_size = dkim_max_size
        self.org = _OrgDomains()

    async def check(self, *, ip: str, helo: str, mail_from: str,
                    message: bytes | None, size: int) -> AuthVerdict:
        """All three checks; ``message`` may be None when it is too large to read."""
        loop = asyncio.get_running_loop()
        bridge = SyncBridge(self.resolver, loop, self.timeout)
        try:
            return await asyncio.wait_for(asyncio.to_thread(
                self._check, bridge, ip, helo, mail_from, message, size), self.timeout * 2)
        except TimeoutError:
            return AuthVerdict(spf="temperror", spf_identity=mail_from)

    def _check(self, bridge: SyncBridge, ip: str, helo: str, mail_from: str,
               message: bytes | None, size: int) -> AuthVerdict:
        spf_result, identity, helo_scope = self._spf(bridge, ip, helo, mail_from)
        verdicts = self._dkim(bridge, message, size)
        header_from = _header_from(message) if message is not None else None
        dmarc_result = None
        if header_from:
            spf_domain = identity.rpartition("@")[2]
            dmarc_result = self._dmarc(bridge, header_from, spf_result, spf_domain, verdicts)
        return AuthVerdict(spf_result, identity, helo_scope, tuple(verdicts), dmarc_result,
                           header_from)

    def _spf(self, bridge: SyncBridge, ip: str, helo: str,
             mail_from: str) -> tuple[str, str, bool]:
        # RFC 7208 2.4: with a null reverse-path, check postmaster@<HELO name>.
        helo_scope = not mail_from
        sender = mail_from or f"postmaster@{helo}"
        try:
            query = _SpfQuery(bridge, i=ip, s=sender, h=helo, timeout=self.timeout)
            result, _code, _text = query.check()
        except Exception:  # pyspf raises many kinds; the result is what matters
            result = "temperror"
        return str(result), (helo if helo_scope else mail_from), helo_scope

    def _dkim(self, bridge: SyncBridge, message: bytes | None, size: int) -> list[DkimVerdict]:
        if message is None:
            return [DkimVerdict("neutral", "", "")] if size > self.dkim_max_size else []
        head = message.split(b"\r\n\r\n", 1)[0]
        count = len(_SIGNATURE.findall(head))
        if not count:
            return []

        def txt(name: Any, timeout: float = 5) -> bytes | None:
            text = name.decode("ascii") if isinstance(name, bytes) else str(name)
            try:
                values = bridge.lookup(text.rstrip("."), "TXT")
            except DnsTemporary:
                raise dkim.DnsTimeoutError("timeout") from None
            return values[0].encode("utf-8") if values else None

        out = []
        for index in range(min(count, 5)):
            checker = dkim.DKIM(message, timeout=int(self.timeout))
            try:
                ok = checker.verify(idx=index, dnsfunc=txt)
                result = "pass" if ok else "fail"
            except dkim.DnsTimeoutError:
                result = "temperror"
            except dkim.ValidationError:  # a body hash or signature that does not match
                result = "fail"
            except Exception:  # malformed signature or key record
                result = "permerror"
            out.append(DkimVerdict(result, _text(checker.domain), _text(checker.selector)))
        return out

    def _dmarc(self, bridge: SyncBridge, from_domain: str, spf_result: str, spf_domain: str,
               verdicts: list[DkimVerdict]) -> str:
        org = self.org.org_domain(from_domain)
        try:
            record = _dmarc_record(bridge, from_domain)
            used_org = None
            if record is None and org != from_domain:
                record, used_org = _dmarc_record(bridge, org), org  # RFC 7489 6.6.3
        except DnsTemporary:
            return "temperror"
        if record is None:
            return "none"
        try:
            policy = dmarc.DMARCPolicy(record=record, domain=from_domain, org_domain=used_org,
                                       publicsuffix=self.org, strict=False)
            results: list[Any] = [dmarc.SPF(spf_domain or from_domain,
                                            _enum(dmarc.SPFResult, spf_result))]
            results += [dmarc.DKIM(d.domain, _enum(dmarc.DKIMResult, d.result), d.selector)
                        for d in verdicts if d.domain]
            policy.verify(auth_results=results)
        except dmarc.PolicyError:
            return "fail"
        except (dmarc.RecordSyntaxError, ValueError):
            return "permerror"
        return "pass"


def _enum(kind: Any, value: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        return kind("none")


def _dmarc_record(bridge: SyncBridge, domain: str) -> str | None:
    values = bridge.lookup(f"_dmarc.{domain}", "TXT") or []
    found = [v for v in values if v.replace(" ", "").upper().startswith("V=DMARC1")]
    return found[0] if len(found) == 1 else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def _header_from(message: bytes) -> str | None:
    """The domain of the (first) From: address (RFC 7489 6.6.1)."""
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    unfolded = re.sub(r"\r\n[ \t]", " ", head)
    values = [line[5:] for line in unfolded.split("\r\n") if line[:5].lower() == "from:"]
    if len(values) != 1:
        return None
    addresses = email.utils.getaddresses([values[0]])
    if not addresses or "@" not in addresses[0][1]:
        return None
    return addresses[0][1].rpartition("@")[2].lower().rstrip(".")
