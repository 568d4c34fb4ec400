"""Pure e-mail primitives: no I/O, stdlib and ``idna`` only.

* :mod:`.addresses` — what a mailbox address is, canonical form, header address lists.
* :mod:`.headers` — header blocks from raw bytes, unfolding, RFC 2047, wire/display text.
* :mod:`.params` — Content-Type/Disposition parameters, RFC 2231.
* :mod:`.envelope` — the IMAP ENVELOPE as data.
* :mod:`.mime` — the defensive MIME parser: a :class:`Part` tree with byte offsets.
* :mod:`.bodies` — transfer and charset decoding, HTML to text.
* :mod:`.summary` — :func:`summarize` and the helpers to read parts back.

Invariant shared by all: parsing functions never raise on message content; only the
validating functions of :mod:`.addresses` raise, and only ``postroom.errors.Invalid``.
"""

from postroom.mail.addresses import (
    Address,
    base_local_part,
    canonical_address,
    is_valid_local_part,
    normalize_domain,
    parse_address_list,
    split_address,
)
from postroom.mail.envelope import ENVELOPE_FIELDS, Envelope, EnvelopeAddress
from postroom.mail.headers import (
    HeaderBlock,
    HeaderField,
    decode_encoded_words,
    display_text,
    read_header_block,
    unfold,
    wire_bytes,
    wire_text,
)
from postroom.mail.mime import MimeLimits, Part, parse_message
from postroom.mail.params import decode_params, display_param
from postroom.mail.summary import (
    Attachment,
    MessageSummary,
    decode_body,
    display_addresses,
    find_part,
    part_body_bytes,
    part_header_bytes,
    summarize,
    walk,
)

__all__ = [
    "ENVELOPE_FIELDS",
    "Address",
    "Attachment",
    "Envelope",
    "EnvelopeAddress",
    "HeaderBlock",
    "HeaderField",
    "MessageSummary",
    "MimeLimits",
    "Part",
    "base_local_part",
    "canonical_address",
    "decode_body",
    "decode_encoded_words",
    "decode_params",
    "display_addresses",
    "display_param",
    "display_text",
    "find_part",
    "is_valid_local_part",
    "normalize_domain",
    "parse_address_list",
    "parse_message",
    "part_body_bytes",
    "part_header_bytes",
    "read_header_block",
    "split_address",
    "summarize",
    "unfold",
    "walk",
    "wire_bytes",
    "wire_text",
]
