"""Structured MIME header values: Content-Type, Content-Disposition and their parameters.

Purpose: split ``type/subtype; a=b; c="d"`` (RFC 2045 5.1, RFC 2183 2) into a value and
an ordered list of parameters, tolerantly, and decode RFC 2231 parameter continuations
and charsets when a caller wants the meaning rather than the wire form.

Invariants:

* Input is wire text (see :mod:`postroom.mail.headers`); nothing here raises.
* Parameter names are lowercased (they are case-insensitive, RFC 2045 5.1); values keep
  their case, with the quotes of a quoted-string removed and its backslash escapes
  resolved. Parameters keep their order and duplicates, as IMAP BODYSTRUCTURE sends them.
* :func:`parse_params` keeps RFC 2231 segments (``filename*0*``) as they are, because
  that is what IMAP clients expect to see; :func:`decode_params` collapses them.
"""

from __future__ import annotations

import re

from postroom.mail.headers import (
    bytes_to_text,
    clean_display,
    decode_charset,
    decode_encoded_words,
    wire_bytes,
)

Params = tuple[tuple[str, str], ...]

# RFC 2045 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_PERCENT_RE = re.compile(rb"%([0-9A-Fa-f]{2})")


def strip_comments(text: str) -> str:
    """Remove RFC 5322 3.2.2 comments (nested parentheses) outside quoted strings."""
    if "(" not in text:
        return text
    out: list[str] = []
    depth = 0
    in_quote = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\" and (in_quote or depth):
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if in_quote:
            in_quote = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            in_quote = char == '"'
            out.append(char)
    return "".join(out)


def split_structured(text: str) -> tuple[str, Params]:
    """Split ``value *(";" param)`` into the value and its raw parameters.

    Malformed parameters (no ``=``, an empty or non-token name) are skipped.
    """
    segments = _split_semicolons(strip_comments(text))
    params: list[tuple[str, str]] = []
    for segment in segments[1:]:
        name, sep, value = segment.partition("=")
        name = name.strip().lower()
        if not sep or _TOKEN_RE.fullmatch(name) is None:
            continue
        params.append((name, _unquote(value.strip())))
    return segments[0].strip(), tuple(params)


def _split_semicolons(text: str) -> list[str]:
    if '"' not in text:
        return text.split(";")
    segments: list[str] = []
    current: list[str] = []
    in_quote = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and in_quote:
            escaped = True
        elif char == '"':
            in_quote = not in_quote
        elif char == ";" and not in_quote:
            segments.append("".join(current))
            current = []
            continue
        current.append(char)
    segments.append("".join(current))
    return segments


def _unquote(value: str) -> str:
    """The content of a quoted-string (RFC 5322 3.2.4), or a token as it is."""
    if not value.startswith('"'):
        return value
    out: list[str] = []
    escaped = False
    for char in value[1:]:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            out.append(char)
    return "".join(out)


def parse_content_type(text: str) -> tuple[str, str, Params] | None:
    """``(type, subtype, params)`` lowercased, or None when the value is not valid.

    RFC 2045 5.2: a missing or invalid Content-Type means text/plain; us-ascii, which the
    caller applies.
    """
    value, params = split_structured(text)
    maintype, slash, subtype = value.partition("/")
    maintype, subtype = maintype.strip().lower(), subtype.strip().lower()
    if not slash or not _TOKEN_RE.fullmatch(maintype) or not _TOKEN_RE.fullmatch(subtype):
        return None
    return maintype, subtype, params


def parse_disposition(text: str) -> tuple[str, Params] | None:
    """``(disposition type lowercased, params)`` (RFC 2183 2), or None when empty/invalid."""
    value, params = split_structured(text)
    value = value.strip().lower()
    if _TOKEN_RE.fullmatch(value) is None:
        return None
    return value, params


def param(params: Params, name: str) -> str | None:
    """The raw value of the first parameter called ``name``, or None."""
    for key, value in params:
        if key == name:
            return value
    return None


def decode_params(params: Params) -> list[tuple[str, str]]:
    """Collapse RFC 2231 continuations and decode their charsets; never raises.

    The result has one entry per parameter name, in order of first appearance. A starred
    (RFC 2231) form wins over a plain parameter of the same name. Values are display text.
    """
    order: list[str] = []
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for name, value in params:
        base, number, encoded = _section(name)
        if base not in plain and base not in sections:
            order.append(base)
        if number is None:
            plain.setdefault(base, value)
        else:
            sections.setdefault(base, {}).setdefault(number, (value, encoded))
    result: list[tuple[str, str]] = []
    for base in order:
        if base in sections:
            result.append((base, _join_sections(sections[base])))
        else:
            result.append((base, bytes_to_text(wire_bytes(plain[base]))))
    return result


def _section(name: str) -> tuple[str, int | None, bool]:
    """Split an RFC 2231 parameter name into (base name, section number, encoded)."""
    if "*" not in name:
        return name, None, False
    base, _, rest = name.partition("*")
    if rest == "":
        return base, 0, True  # name*  (RFC 2231 4)
    encoded = rest.endswith("*")
    digits = rest[:-1] if encoded else rest
    if not digits.isdigit() or len(digits) > 4:
        return name, None, False
    return base, int(digits), encoded


def _join_sections(sections: dict[int, tuple[str, bool]]) -> str:
    charset: str | None = None
    chunks: list[bytes] = []
    for number in sorted(sections):
        value, encoded = sections[number]
        if number == 0 and encoded and value.count("'") >= 2:
            # RFC 2231 4: the first section carries charset'language'
            charset, _, value = value.partition("'")
            value = value.partition("'")[2]
        raw = wire_bytes(value)
        chunks.append(_PERCENT_RE.sub(_percent, raw) if encoded else raw)
    data = b"".join(chunks)
    return decode_charset(data, charset) if charset else bytes_to_text(data)


def _percent(match: re.Match[bytes]) -> bytes:
    return bytes([int(match.group(1), 16)])


def display_param(params: Params, name: str) -> str | None:
    """A parameter's display value: RFC 2231 collapsed, then RFC 2047 decoded.

    Encoded-words inside a quoted parameter are not allowed by RFC 2047 5 but are what
    many mailers send for file names, so they are decoded here.
    """
    for key, value in decode_params(params):
        if key == name:
            return clean_display(decode_encoded_words(value))
    return None
