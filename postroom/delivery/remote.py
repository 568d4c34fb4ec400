"""Sending to other mail servers: MX look-up (dnspython, injectable) and SMTP (aiosmtplib).

Routing (RFC 5321 5.1): MX records by preference, equal preferences shuffled; no MX ->
the domain's own A/AAAA ("implicit MX"); a null MX ``0 .`` (RFC 7505) or a domain that
does not exist -> permanent failure; DNS trouble -> temporary failure. Each MX host's
addresses are tried in turn until one answers.

Sending: one SMTP transaction per (message, domain) with every recipient of that domain;
STARTTLS whenever the server offers it (opportunistic, RFC 7435: certificates are not
verified, and a failed handshake falls back to plain text on the next try); replies are
kept per recipient. The port and the resolver are injectable, so tests deliver to a
second SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import aiosmtplib

from postroom.delivery.dns import DnsTemporary, Resolver


@dataclass(frozen=True)
class Reply:
    """One recipient's result: the SMTP code, enhanced status and text."""

    code: int
    enhanced: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return self.code >= 500


@dataclass(frozen=True)
class Attempt:
    host: str | None
    replies: dict[str, Reply]


class RouteError(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


def _tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # opportunistic TLS (RFC 7435)
    return ctx


def _enhanced(code: int, text: str) -> tuple[str, str]:
    head, _, rest = text.partition(" ")
    parts = head.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and head[0] == str(code)[0]:
        return head, rest
    return f"{str(code)[0]}.0.0", text


class RemoteDelivery:
    def __init__(self, resolver: Resolver, *, helo: str, port: int = 25,
                 timeout: float = 60.0) -> None:
        self.resolver = resolver
        self.helo = helo
        self.port = port
        self.timeout = timeout
        self._tls = _tls_context()
        self._no_tls: set[str] = set()  # hosts whose TLS handshake failed: plain next time

    async def route(self, domain: str) -> list[tuple[str, list[str]]]:
        """[(host, [addresses])] in the order to try; RouteError when there is none."""
        try:
            records = await self.resolver.lookup(domain, "MX")
        except DnsTemporary:
            raise RouteError(Reply(451, "4.4.3", "DNS lookup failed, will retry")) from None
        if records is None:
            raise RouteError(Reply(550, "5.1.2", "Recipient domain does not exist"))
        if not records:
            hosts = [domain]  # RFC 5321 5.1: the implicit MX
        else:
            parsed = sorted((_mx(r) for r in records), key=lambda p: (p[0], random.random()))
            if any(host in ("", ".") for _, host in parsed):
                raise RouteError(Reply(556, "5.1.10", "Domain does not accept mail (null MX)"))
            hosts = [host for _, host in parsed]
        routes = []
        for host in hosts[:10]:
            addresses = await self._addresses(host)
            if addresses:
                routes.append((host, addresses))
        if not routes:
            raise RouteError(Reply(451, "4.4.4", "No address for the domain's mail servers"))
        return routes

    async def _addresses(self, host: str) -> list[str]:
        found: list[str] = []
        for rtype in ("A", "AAAA"):
            try:
                found += await self.resolver.lookup(host, rtype) or []
            except DnsTemporary:
                continue
        return found

    async def send(self, domain: str, mail_from: str, recipients: Sequence[str],
                   message: bytes) -> Attempt:
        """Try the domain's servers in order; per-recipient replies of the first that
        took the transaction (or the last temporary problem for all)."""
        try:
            routes = await self.route(domain)
        except RouteError as exc:
            return Attempt(None, {r: exc.reply for r in recipients})
        last = Reply(451, "4.4.1", "No answer from the domain's mail servers")
        host = None
        for host, addresses in routes:
            for address in addresses:
                try:
                    return Attempt(host, await self._transaction(
                        address, host, mail_from, recipients, message))
                except (OSError, aiosmtplib.SMTPException, TimeoutError) as exc:
                    last = _connection_reply(exc)  # RFC 5321 5.1: try the next one
        return Attempt(host, {r: last for r in recipients})

    async def _transaction(self, address: str, host: str, mail_from: str,
                           recipients: Sequence[str], message: bytes) -> dict[str, Reply]:
        use_tls = host not in self._no_tls
        client = aiosmtplib.SMTP(hostname=address, port=self.port, local_hostname=self.helo,
                                 timeout=self.timeout, start_tls=None if use_tls else False,
                                 validate_certs=False, tls_context=self._tls)
        try:
            await client.connect()
        except (ssl.SSLError, aiosmtplib.SMTPConnectError) as exc:
            if use_tls and isinstance(exc, ssl.SSLError):
                self._no_tls.add(host)
            raise
        try:
            return await self._envelope(client, mail_from, recipients, message)
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()

    async def _envelope(self, client: aiosmtplib.SMTP, mail_from: str,
                        recipients: Sequence[str], message: bytes) -> dict[str, Reply]:
        options = [f"SIZE={len(message)}"] if client.supports_extension("size") else []
        try:
            await client.mail(mail_from, options=options)
        except aiosmtplib.SMTPResponseException as exc:
            reply = _reply(exc.code, exc.message)
            return {r: reply for r in recipients}
        replies: dict[str, Reply] = {}
        for rcpt in recipients:
            try:
                response = await client.rcpt(rcpt)
                replies[rcpt] = _reply(response.code, response.message)
            except aiosmtplib.SMTPResponseException as exc:
                replies[rcpt] = _reply(exc.code, exc.message)
        accepted = [r for r, reply in replies.items() if reply.ok]
        if not accepted:
            await client.rset()
            return replies
        try:
            response = await client.data(message)
            final = _reply(response.code, response.message)
        except aiosmtplib.SMTPResponseException as exc:
            final = _reply(exc.code, exc.message)
        for rcpt in accepted:
            replies[rcpt] = final
        return replies


def _mx(record: str) -> tuple[int, str]:
    pref, _, host = record.strip().partition(" ")
    try:
        return int(pref), host.strip().rstrip(".").lower() or "."
    except ValueError:
        return 65535, host


def _reply(code: int, message: str) -> Reply:
    text = " ".join(message.split())[:500]
    enhanced, rest = _enhanced(code, text)
    return Reply(code, enhanced, rest)


def _connection_reply(exc: BaseException) -> Reply:
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 400:
        return _reply(exc.code, exc.message)
    return Reply(451, "4.4.1", f"Connection failed: {type(exc).__name__}")
