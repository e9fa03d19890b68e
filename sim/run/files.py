"""Writing files safely: atomically (a reader sees the old file or the new, never half of one), and only inside
the folder a command was given."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
    """Write through a temporary file in the same folder, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text), mode="w")


def safe_child(folder: Path, name: str) -> Path:
    """``folder / name``, refusing a name that would escape the folder (``..``, absolute paths)."""
    child = (folder / name).resolve()
    if not child.is_relative_to(folder.resolve()):
        raise ValueError(f"output name '{name}' would be written outside {folder}")
    return child
