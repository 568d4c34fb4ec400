"""DNS look-ups for delivery: MX, A, AAAA and TXT, behind one small interface.

``Resolver.lookup(name, rtype)`` answers text values (``"10 mx.example.org"``,
``"192.0.2.1"``, a TXT record's strings joined), ``None`` for a name that does not exist
(NXDOMAIN), ``[]`` for a name without records of that type, and raises ``DnsTemporary``
when the answer cannot be had now. ``DnsPythonResolver`` asks the network (dnspython);
``StaticResolver`` answers from a table (tests, and ``dns_static_file`` for machines
without DNS), so tests deliver to a second server on 127.0.0.1.

``SyncBridge`` lets the synchronous libraries (pyspf, dkimpy), running in a worker
thread, ask the event loop's resolver.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

RTYPES = ("MX", "A", "AAAA", "TXT")


class DnsTemporary(Exception):
    """The DNS answer is not available now (timeout, SERVFAIL): try again later."""


class Resolver(Protocol):
    async def lookup(self, name: str, rtype: str) -> list[str] | None: ...


class StaticResolver:
    """Answers from ``{name: {rtype: [values]}}``; names not in the table do not exist."""

    def __init__(self, records: Mapping[str, Mapping[str, list[str]]] | None = None) -> None:
        self.records: dict[str, dict[str, list[str]]] = {}
        for name, types in (records or {}).items():
            for rtype, values in types.items():
                self.add(name, rtype, *values)
        self.queries: list[tuple[str, str]] = []

    def add(self, name: str, rtype: str, *values: str) -> None:
        entry = self.records.setdefault(name.lower().rstrip("."), {})
        entry.setdefault(rtype.upper(), []).extend(values)

    async def lookup(self, name: str, rtype: str) -> list[str] | None:
        key = name.lower().rstrip(".")
        self.queries.append((key, rtype.upper()))
        entry = self.records.get(key)
        if entry is None:
            return None
        return list(entry.get(rtype.upper(), []))

    @classmethod
    def from_file(cls, path: Path) -> StaticResolver:
        """A TOML file of ``["name"]`` tables, each with lists per record type."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls({name: {k: [str(v) for v in vs] for k, vs in types.items()}
                    for name, types in data.items()})


class DnsPythonResolver:
    """The network's DNS through dnspython's asynchronous resolver."""

    def __init__(self, timeout: float = 10.0) -> None:
        import dns.asyncresolver
        import dns.resolver

        try:
            self._resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = ["127.0.0.1"]
        self._resolver.lifetime = timeout

    async def lookup(self, name: str, rtype: str) -> list[str] | None:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._resolver.resolve(name, rtype, search=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.resolver.NoAnswer:
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers,
                dns.resolver.YXDOMAIN) as exc:
            raise DnsTemporary(type(exc).__name__) from None
        except dns.exception.DNSException as exc:
            raise DnsTemporary(type(exc).__name__) from None
        out = []
        for rdata in answer:
            if rtype == "TXT":
                out.append(b"".join(rdata.strings).decode("utf-8", "replace"))
            else:
                out.append(rdata.to_text())
        return out


def resolver_for(static_file: Path | None) -> Resolver:
    """The resolver the settings ask for."""
    if static_file is not None:
        return StaticResolver.from_file(static_file)
    return DnsPythonResolver()


class SyncBridge:
    """Blocking look-ups for code running in a worker thread, answered on ``loop``."""

    def __init__(self, resolver: Resolver, loop: asyncio.AbstractEventLoop,
                 timeout: float = 10.0) -> None:
        self.resolver = resolver
        self.loop = loop
        self.timeout = timeout

    def lookup(self, name: str, rtype: str) -> list[str] | None:
        future = asyncio.run_coroutine_threadsafe(self.resolver.lookup(name, rtype), self.loop)
        try:
            return future.result(self.timeout)
        except TimeoutError:
            future.cancel()
            raise DnsTemporary("timeout") from None
