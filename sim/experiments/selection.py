"""Ranking and selection: the fully sequential procedure of Kim and Nelson (KN) for the best of k systems.

Kim, S.-H. and Nelson, B. L. (2001), "A fully sequential procedure for indifference-zone selection in
simulation", ACM TOMACS 11(3): 251-273. It selects the system with the smallest mean with probability at
least ``1 - alpha`` whenever that mean is at least ``delta`` (the indifference zone, in the metric's unit)
below every other, and it allows common random numbers: it works on the variances of the pairwise
differences, which CRN makes small. In outline, for minimisation:

1. ``n0`` replications of every system; ``S2[i, l]`` the sample variance of ``X_i - X_l`` over them;
   ``eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2`` and ``h2 = 2 eta (n0 - 1)``.
2. After ``r`` replications, system i is eliminated if its mean exceeds another survivor's by more than
   ``W[i, l](r) = max(0, delta / (2 r) * (h2 * S2[i, l] / delta**2 - r))``.
3. While more than one survives, one more replication of each survivor (here ``batch`` at a time, the
   screening still done after every single one, which only ever eliminates later than fully sequential
   screening would: the guarantee holds), until one is left. At ``r > h2 S2 / delta**2`` the bound is 0, so
   the procedure ends; ``max_n`` caps it, and if more than one survives then, no choice is made.

The sampler gives the replications' values: ``sample(systems, first, stop)`` -> [system, replication] for
replications ``first .. stop - 1`` of the listed systems (the same replication numbers for every system:
common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Sampler = Callable[[list[int], int, int], np.ndarray]


@dataclass
class Selection:
    best: int | None  # the system selected, None if more than one survived max_n
    survivors: list[int]  # those left at the end (the best alone when decided)
    eliminated: dict[int, int]  # system -> replications when it was eliminated
    values: dict[int, np.ndarray]  # system -> its replications' values
    alpha: float
    delta: float
    n0: int
    h2: float
    replications: int = 0  # in all systems together
    log: list[str] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return self.best is not None


def kn_constants(k: int, alpha: float, n0: int) -> tuple[float, float]:
    """(eta, h2) of KN for ``k`` systems, error ``alpha`` and first stage ``n0``.

    >>> round(kn_constants(2, 0.05, 10)[1], 3)
    6.013
    """
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return eta, 2.0 * eta * (n0 - 1)


def kn_select(
    sample: Sampler, k: int, delta: float, alpha: float = 0.05, n0: int = 10, max_n: int = 500, batch: int = 1
) -> Selection:
    """The KN procedure for the smallest mean of ``k`` systems (module docstring)."""
    if k == 1:
        values = sample([0], 0, n0)
        return Selection(0, [0], {}, {0: values[0]}, alpha, delta, n0, 0.0, n0)
    _, h2 = kn_constants(k, alpha, n0)
    first = sample(list(range(k)), 0, n0)
    values = {i: first[i] for i in range(k)}
    diffs = first[:, None, :] - first[None, :, :]
    s2 = diffs.var(axis=2, ddof=1)  # [i, l]: variance of X_i - X_l over the first stage
    alive = list(range(k))
    eliminated: dict[int, int] = {}
    r, total = n0, k * n0
    alive = _screen(values, alive, s2, h2, delta, r, eliminated)
    while len(alive) > 1 and r < max_n:
        more = min(batch, max_n - r)
        new = sample(alive, r, r + more)
        for row, i in enumerate(alive):
            values[i] = np.concatenate([values[i], new[row]])
        total += more * len(alive)
        for step in range(r + 1, r + more + 1):  # screen after every replication, as fully sequential KN does
            alive = _screen(values, alive, s2, h2, delta, step, eliminated)
            if len(alive) == 1:
                break
        r += more
    best = alive[0] if len(alive) == 1 else None
    return Selection(best, alive, eliminated, values, alpha, delta, n0, h2, total)


def _screen(values, alive, s2, h2, delta, r, eliminated) -> list[int]:
    """The survivors after ``r`` replications (each system's first r values)."""
    means = {i: values[i][:r].mean() for i in alive}
    keep = []
    for i in alive:
        out = False
        for other in alive:
            if other == i:
                continue
            w = max(0.0, delta / (2 * r) * (h2 * s2[i, other] / delta**2 - r))
            if means[i] > means[other] + w:
                out = True
                break
        if out:
            eliminated[i] = r
        else:
            keep.append(i)
    return keep
