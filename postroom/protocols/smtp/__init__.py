"""SMTP server (RFC 5321 with SIZE, 8BITMIME, SMTPUTF8, PIPELINING, CHUNKING,
STARTTLS, AUTH, ENHANCEDSTATUSCODES).

Sans-I/O layers, usable without sockets or storage:

- `commands`: command-phase line reader, typed commands, paths and ESMTP
  parameters (`CommandReader`).
- `data`: DATA body reader (dot-unstuffing, smuggling defence, limits) and BDAT
  chunk reader (`DataReader`, `ChunkReader`).
- `replies`: every reply, named, with enhanced status codes, and the mappings of
  parse errors, data rejections, refused address forms and `postroom.errors`.
- `states`: session states, the commands allowed in each, and the transitions.

The session and server modules build on these; only the server touches sockets.
"""
