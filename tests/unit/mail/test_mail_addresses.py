"""Addresses: validation, canonical form, IDNA, sub-addressing and header address lists."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.errors import Invalid
from postroom.mail.addresses import (
    Address,
    base_local_part,
    canonical_address,
    is_valid_local_part,
    normalize_domain,
    parse_address_list,
    split_address,
)


@pytest.mark.parametrize(
    ("given_addr", "expected"),
    [
        ("joe@example.com", "joe@example.com"),
        ("Joe.Bloggs@Example.COM", "joe.bloggs@example.com"),
        ("joe@bücher.example", "joe@xn--bcher-kva.example"),
        ("joe@BÜCHER.example", "joe@xn--bcher-kva.example"),
        ("joe@xn--bcher-kva.example", "joe@xn--bcher-kva.example"),
        ("joe+lists@example.com", "joe+lists@example.com"),
        ('"joe"@example.com', "joe@example.com"),
        ('"Joe Smith"@example.com', '"joe smith"@example.com'),
        ("jörg@example.de", "jörg@example.de"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("root@localhost", "root@localhost"),
    ],
)
def test_canonical_address(given_addr: str, expected: str) -> None:
    assert canonical_address(given_addr) == expected


def test_split_address_keeps_local_case_but_normalises_domain() -> None:
    assert split_address("Joe@Bücher.Example") == ("Joe", "xn--bcher-kva.example")


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("joe%other.example@example.com", "relay"),  # percent hack
        ("other!joe@example.com", "relay"),  # UUCP bang path
        ("@relay.example,@b.example:joe@example.com", "source route"),
        ("@relay.example:joe@example.com", "source route"),
        ("joe@[192.0.2.1]", "literal"),
        ("joe@[IPv6:2001:db8::1]", "literal"),
        ("joe@192.0.2.1", "IP address"),
        ('"joe@other"@example.com', "quoted"),
        ('"joe%other"@example.com', "relay"),
        ('"a\\"b"@example.com', "local@domain"),
        ("joe@example.com.", "dot"),
        ("joe@", "no domain"),
        ("@example.com", "source route"),
        ("example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("", "empty"),
        ("jo e@example.com", "not allowed"),
        (".joe@example.com", "not allowed"),
        ("jo..e@example.com", "not allowed"),
        ("joe@exa_mple.com", "letters, digits"),
        ("joe@-example.com", "letters, digits"),
        ("joe@example..com", "empty label"),
        ("joe@xn--zz.example", "xn--"),
        ("x" * 65 + "@example.com", "64"),
        ("joe@" + "a" * 64 + ".com", "letters, digits"),
        ("joe@" + ".".join(["a" * 60] * 5), "too long"),
        ("joe\udcff@example.com", "not valid text"),
    ],
)
def test_split_address_rejects(bad: str, fragment: str) -> None:
    with pytest.raises(Invalid) as info:
        split_address(bad)
    assert fragment in info.value.message


def test_normalize_domain() -> None:
    assert normalize_domain("Example.COM") == "example.com"
    assert normalize_domain("bücher.example") == "xn--bcher-kva.example"
    assert normalize_domain("straße.de") == "xn--strae-oqa.de"  # IDNA 2008, not 2003's ss
    for bad in ["example.com.", "", "[1.2.3.4]", "a..b", "exa mple.com", "1.2.3.4"]:
        with pytest.raises(Invalid):
            normalize_domain(bad)


def test_base_local_part() -> None:
    assert base_local_part("joe+lists") == "joe"
    assert base_local_part("joe+a+b") == "joe"
    assert base_local_part("joe") == "joe"
    assert base_local_part("+joe") == "+joe"
    assert base_local_part("joe-lists", separator="-") == "joe"
    assert base_local_part("joe+lists", separator="") == "joe+lists"
    assert base_local_part('"joe+x y"') == '"joe+x y"'


def test_is_valid_local_part() -> None:
    assert is_valid_local_part("joe.bloggs")
    assert is_valid_local_part('"joe bloggs"')
    assert not is_valid_local_part("joe%x")
    assert not is_valid_local_part("joe!x")
    assert not is_valid_local_part("")
    assert not is_valid_local_part("joe.")
    assert not is_valid_local_part('"joe')
    assert not is_valid_local_part('"')


def test_parse_address_list_decodes_names_and_skips_bad_entries() -> None:
    value = (
        '=?utf-8?q?J=C3=B6rg?= <Jorg@Bücher.example>, team: a@x.test, "Q, R" <q@r.test>;, '
        "bad, @@, <>, b@[1.2.3.4]"
    )
    got = parse_address_list(value)
    assert got == [
        Address("Jörg", "Jorg", "xn--bcher-kva.example"),
        Address("", "a", "x.test"),
        Address("Q, R", "q", "r.test"),
        Address("", "b", "[1.2.3.4]"),
    ]
    assert got[0].address == "Jorg@xn--bcher-kva.example"
    assert Address.from_json(got[0].to_json()) == got[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_address_list_never_raises(value: str) -> None:
    for address in parse_address_list(value):
        assert address.local and address.domain


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_split_address_raises_only_invalid(value: str) -> None:
    try:
        local, domain = split_address(value)
    except Invalid:
        return
    assert "%" not in local and "!" not in local and domain == domain.lower()
    assert canonical_address(f"{local}@{domain}") == f"{local.lower()}@{domain}"
