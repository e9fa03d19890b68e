"""The one progress bar of every command: on standard error, only when it is a terminal, and only if asked."""

from __future__ import annotations

import sys


def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True, initial: int = 0):
    """A tqdm bar (rate and time left) of ``total`` items; a silent one when disabled or not on a terminal."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit=unit,
        desc=desc,
        file=sys.stderr,
        disable=not enabled or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
