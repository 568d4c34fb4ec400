"""The static resolver: what exists, what does not, and records from a file."""

from __future__ import annotations

from pathlib import Path

from postroom.delivery.dns import StaticResolver, resolver_for


async def test_static_answers() -> None:
    r = StaticResolver({"Example.ORG.": {"mx": ["10 mx.example.org."]}})
    assert await r.lookup("example.org", "MX") == ["10 mx.example.org."]
    assert await r.lookup("example.org.", "A") == []  # the name exists, no such record
    assert await r.lookup("missing.test", "A") is None  # NXDOMAIN


async def test_records_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "dns.toml"
    path.write_text('["remote.test"]\nMX = ["10 mx.remote.test"]\n'
                    '["mx.remote.test"]\nA = ["127.0.0.1"]\n')
    r = resolver_for(path)
    assert await r.lookup("mx.remote.test", "A") == ["127.0.0.1"]
