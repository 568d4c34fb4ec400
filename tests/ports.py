"""Free TCP ports for servers that tests start in another process.

Binding port 0 and closing the socket hands back a port from the kernel's ephemeral
range (``net.ipv4.ip_local_port_range``, 32768-60999 on Linux), and any outgoing
connection made before the server binds it may take that same port: CI saw
``address already in use`` from exactly this. So ports here come from below the
ephemeral range, walked in order from an offset that depends on the process id (two
pytest runs on one machine do not start on the same port), and each is checked by
binding it before it is handed out. A port is never handed out twice by one process.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading

_FIRST, _LAST = 20000, 32000
_lock = threading.Lock()
_next = itertools.cycle(range(_FIRST, _LAST))
for _ in range((os.getpid() * 97) % (_LAST - _FIRST)):
    next(_next)
_given: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on and no outgoing socket will take."""
    with _lock:
        for _ in range(_LAST - _FIRST):
            port = next(_next)
            if port not in _given and _bindable(port):
                _given.add(port)
                return port
    raise RuntimeError("no free port below the ephemeral range")
