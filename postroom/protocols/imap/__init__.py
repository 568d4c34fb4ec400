"""IMAP4rev1 / IMAP4rev2 server (RFC 3501, RFC 9051) and its extensions (DESIGN 6).

The sans-I/O layer, usable and tested without sockets or storage:

- ``commands``: ``CommandParser`` (bytes in, events out), ``Limits``, the event types;
  re-exports the command dataclasses of ``command_types``.
- ``grammar`` / ``message_grammar`` / ``search_keys`` / ``fetch_items`` / ``lexer``: the
  grammar of a complete command, split by concern.
- ``responses``: every response the server sends, as bytes.
- ``utf7``: modified UTF-7 mailbox names. ``sequences``: sequence sets.
- ``states``: the session states and the commands allowed in each, as data.

Layer rule (DESIGN 3): these modules import only the standard library,
``postroom.errors`` and ``postroom.mail``; no asyncio, no sockets, no store.
"""
