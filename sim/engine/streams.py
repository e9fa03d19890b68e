"""One independent random stream per purpose, so that scenarios compared share their random numbers.

A stream depends only on the scenario seed, the replication number and the purpose's name. Two scenarios
that differ in capacity therefore draw exactly the same youths (arrival times, home regions, stays,
patience), and replication ``r`` gives the same numbers whether it runs first, last, alone or on another
machine.
"""

from __future__ import annotations

import zlib

import numpy as np


def purpose_key(purpose: str) -> int:
    """A stable integer for a purpose name (CRC-32), so adding a purpose never shifts the others."""
    return zlib.crc32(purpose.encode("utf-8"))


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose in one replication (PCG64 seeded by a SeedSequence)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, purpose_key(purpose)))
    return np.random.Generator(np.random.PCG64(sequence))
