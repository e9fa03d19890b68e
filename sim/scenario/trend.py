"""How a yearly trend moves a figure: demand ``growth`` and stay ``drift`` are rates per year.

The one formula of the package: a figure given for the start date is ``value * factor(rate, years)`` at
``years`` after it (negative years: before it). Every module that moves demand or stays in time (the
arrivals, the stays, the Erlang pre-screen, the calibration's surrogate and its moves of a scenario to
another date) calls :func:`factor`.

>>> factor(0.10, 2)
1.2100000000000002
>>> round(moved(266.0, 0.147, -1.0), 1)
231.9
"""

from __future__ import annotations

import numpy as np


def factor(rate: float, years):
    """The multiplier ``(1 + rate) ** years`` of a yearly rate after ``years`` years (numbers or arrays)."""
    return (1.0 + rate) ** years if np.isscalar(years) else (1.0 + rate) ** np.asarray(years)


def moved(value: float, rate: float, years: float) -> float:
    """``value`` on the start date, carried ``years`` along its yearly ``rate``."""
    return value * factor(rate, years)
