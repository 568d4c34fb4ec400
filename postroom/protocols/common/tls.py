"""TLS for the listeners: certificates per host name, chosen by SNI.

Certificates come from ``tls_cert_file``/``tls_key_file`` (the default certificate) and,
optionally, from a directory of ``<hostname>.crt`` + ``<hostname>.key`` pairs
(``<data_dir>/tls/hosts``), selected by the name the client asks for (SNI, RFC 6066 3) —
``imail.example.org`` and ``post.example.org`` can each have their own. In development,
when no certificate is configured, a self-signed one for ``hostname`` is made once in
``<data_dir>/tls``.

Invariant: TLS 1.2 is the minimum; the contexts are built once at start.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_self_signed(cert_path: Path, key_path: Path, hostname: str) -> None:
    """A self-signed ECDSA certificate for ``hostname`` (and localhost, 127.0.0.1, ::1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    names: list[x509.GeneralName] = [x509.DNSName(hostname), x509.DNSName("localhost"),
                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                     x509.IPAddress(ipaddress.ip_address("::1"))]
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class Certificates:
    """The server TLS context, with SNI selection among per-host certificates."""

    def __init__(self, cert: Path, key: Path, hosts_dir: Path | None = None) -> None:
        self.cert_path = cert
        self.context = _context(cert, key)
        self._by_name: dict[str, ssl.SSLContext] = {}
        if hosts_dir is not None and hosts_dir.is_dir():
            for crt in sorted(hosts_dir.glob("*.crt")):
                key_file = crt.with_suffix(".key")
                if key_file.exists():
                    self._by_name[crt.stem.lower()] = _context(crt, key_file)
        if self._by_name:
            self.context.sni_callback = self._select

    def _select(self, sock: ssl.SSLObject, server_name: str | None,
                _ctx: ssl.SSLContext) -> None:
        if server_name:
            chosen = self._by_name.get(server_name.lower().rstrip("."))
            if chosen is not None:
                sock.context = chosen

    @property
    def hostnames(self) -> list[str]:
        return sorted(self._by_name)

    @classmethod
    def for_settings(cls, cert: Path | None, key: Path | None, data_dir: Path,
                     hostname: str) -> Certificates:
        """Configured files, or a self-signed pair made once in ``data_dir/tls``."""
        if cert is None or key is None:
            cert = data_dir / "tls" / "selfsigned.crt"
            key = data_dir / "tls" / "selfsigned.key"
            if not cert.exists() or not key.exists():
                make_self_signed(cert, key, hostname)
        return cls(cert, key, data_dir / "tls" / "hosts")


def client_context_trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts ``cert`` (tests and local tools)."""
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    return ctx
