"""POP3 server (RFC 1939 with RFC 2449 CAPA, RFC 5034 SASL, RFC 2595 STLS).

Sans-I/O layers, usable without sockets or storage:

- `commands`: incremental line reader and typed commands (`CommandReader`).
- `replies`: every `+OK`/`-ERR` reply, response codes (RFC 2449, RFC 3206),
  multi-line responses, and the mappings of parse and `postroom.errors` errors.
- `dotstuff`: streaming RETR/TOP encoders and the size rule for LIST/STAT.
- `states`: AUTHORIZATION, TRANSACTION, UPDATE and the commands allowed in each.

On top of them:

- `session`: one connection's state and the dispatcher (allowed commands checked once,
  errors mapped once); handlers in `authorization` (USER PASS APOP AUTH STLS),
  `transaction` (STAT LIST RETR TOP DELE NOOP RSET UIDL) and `session_commands`
  (CAPA QUIT).
- `maildrop`: INBOX fixed at login, DELE marks, wire sizes, UIDLs, the [IN-USE] lock.
- `server`: the listeners (110 with STLS, 995 with TLS); the only module with sockets.
"""
