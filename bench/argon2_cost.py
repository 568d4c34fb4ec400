"""How long one argon2id verification takes with the configured parameters.

Usage: python bench/argon2_cost.py [TIME_COST MEMORY_KIB]
Prints the median of 30 verifications; DESIGN asks for about 30 ms.
"""

from __future__ import annotations

import statistics
import sys
import time

from postroom.tenancy.passwords import Passwords


def main() -> None:
    args = [int(a) for a in sys.argv[1:3]] or [2, 19 * 1024]
    passwords = Passwords(*args)
    stored = passwords._hasher.hash("benchmark password")
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        passwords._verify(stored, "benchmark password")
        samples.append(time.perf_counter() - start)
    print(f"argon2id t={args[0]} m={args[1]} KiB: median verify "
          f"{statistics.median(samples) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
