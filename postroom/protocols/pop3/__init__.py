"""POP3 server (RFC 1939 with RFC 2449 CAPA, RFC 5034 SASL, RFC 2595 STLS).

Sans-I/O layers, usable without sockets or storage:

- `commands`: incremental line reader and typed commands (`CommandReader`).
- `replies`: every `+OK`/`-ERR` reply, response codes (RFC 2449, RFC 3206),
  multi-line responses, and the mappings of parse and `postroom.errors` errors.
- `dotstuff`: streaming RETR/TOP encoders and the size rule for LIST/STAT.
- `states`: AUTHORIZATION, TRANSACTION, UPDATE and the commands allowed in each.

The session and server modules build on these; only the server touches sockets.
"""
