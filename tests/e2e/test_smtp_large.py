"""A 50 MiB message through ``postroom serve`` with bounded memory (DESIGN sections 5, 6).

The server runs as its own process so its memory can be read from /proc: while the body
streams in (everything but the final dot sent), the peak resident size grows by no more
than a few MiB (the body goes to a spool file, the readers carry at most a line); after
the final dot the store reads the blob once to parse it (``store.parsing``), so the
peak may grow by about the message size, not by the 4x of a whole-message server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.smtp_process import ServerProcess, populate

pytestmark = pytest.mark.slow

SIZE = 50 * 1024 * 1024 - 64 * 1024
MIB = 1024 * 1024


async def test_fifty_mib_streams_with_bounded_memory(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    await populate(server)
    await asyncio.to_thread(server.start)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.smtp)
        await reader.readline()
        writer.write(b"EHLO big.test\r\n")
        while (await reader.readline())[3:4] == b"-":
            pass
        writer.write(f"MAIL FROM:<x@remote.test> SIZE={SIZE}\r\nRCPT TO:<ann@example.org>\r\n"
                     "DATA\r\n".encode())
        assert [(await reader.readline())[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        baseline = server.memory("VmRSS")
        writer.write(b"From: x@remote.test\r\nSubject: big\r\n\r\n")
        line = b"0123456789" * 99 + b"\r\n"  # 992 octets
        block = line * 1024
        sent = 0
        while sent + len(block) < SIZE:
            writer.write(block)
            await writer.drain()
            sent += len(block)
        await asyncio.sleep(0.5)
        streaming_peak = server.memory("VmHWM")
        assert streaming_peak - baseline < 16 * MIB, (baseline, streaming_peak)
        writer.write(b".\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.readline(), 120)
        assert reply.startswith(b"250"), reply
        final_peak = server.memory("VmHWM")
        assert final_peak - baseline < 2 * SIZE, (baseline, final_peak)
        print(f"baseline {baseline / MIB:.1f} MiB, peak while streaming "
              f"{(streaming_peak - baseline) / MIB:.1f} MiB above it, peak after commit "
              f"{(final_peak - baseline) / MIB:.1f} MiB above it")
        writer.close()
    finally:
        server.close()
