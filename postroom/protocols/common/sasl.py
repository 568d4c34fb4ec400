"""SASL mechanisms shared by SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH.

PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login, what Outlook sends). Decoding
only: each protocol carries the base64 lines in its own syntax, then calls
``decode_plain`` / ``decode_base64_text``. Invalid input raises ``Invalid`` with a
message safe to show.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from postroom.errors import Invalid

MECHANISMS = ("PLAIN", "LOGIN")
MAX_RESPONSE = 16 * 1024


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    authzid: str = ""


def decode_base64_text(data: str | bytes) -> str:
    """A base64 SASL response as UTF-8 text."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    if len(raw) > MAX_RESPONSE:
        raise Invalid("authentication response too long")
    try:
        return base64.b64decode(raw.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid("invalid base64 in the authentication response") from None


def decode_plain(data: str | bytes) -> Credentials:
    """RFC 4616: ``[authzid] NUL authcid NUL passwd``, base64."""
    text = decode_base64_text(data)
    parts = text.split("\x00")
    if len(parts) != 3 or not parts[1]:
        raise Invalid("malformed PLAIN authentication response")
    authzid, username, password = parts
    if authzid and authzid.lower() != username.lower():
        # Logging in as someone else (proxy authorisation) is not offered.
        raise Invalid("authorisation identity must be the user name")
    return Credentials(username, password, authzid)


def encode_challenge(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


#: The LOGIN mechanism's two prompts, already base64 ("Username:", "Password:").
LOGIN_USERNAME_PROMPT = encode_challenge("Username:")
LOGIN_PASSWORD_PROMPT = encode_challenge("Password:")
