"""The partial store: the finished replications of an unfinished run, so that running again resumes it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from sim.run.files import atomic_text, atomic_write
from sim.run.folder import PARTIAL, PARTIAL_META, clear_partial, code_fingerprint
from sim.run.worker import Chunk


class PartialMismatch(FileExistsError):
    """The partial store of a folder belongs to a run of other settings (scenario, ``--set``, seed, replications)."""


class PartialStore:
    """Finished replications of an unfinished run, one compressed file per chunk, in ``OUT/.partial``.

    The store belongs to one resolved scenario (its hash) and one model (:func:`code_fingerprint`): a
    store left by a different scenario is refused rather than mixed in, and one left by other model code
    is discarded.
    """

    def __init__(self, out: Path, scenario_hash: str):
        self.dir = out / PARTIAL
        self.hash = scenario_hash

    def open(self, replace: bool = False) -> None:
        """Open the store for this run. A store of another run is refused (PartialMismatch), or with ``replace``
        discarded; one of other model code is discarded."""
        meta = self.dir / PARTIAL_META
        mine = {"scenario_sha256": self.hash, "code_sha256": code_fingerprint()}
        if meta.exists():
            try:
                old = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = {}
            if not isinstance(old, dict):
                old = {}
            if old.get("scenario_sha256") != self.hash and not replace:
                raise PartialMismatch(
                    f"{self.dir} holds the finished replications of an unfinished run with other settings (the "
                    "scenario, --set, --seed or --replications differ): run that command again to finish it, "
                    "choose another --out, or give --force to discard them"
                )
            if old.get("scenario_sha256") != self.hash or old.get("code_sha256") != mine["code_sha256"]:
                self.remove()  # discarded, or finished by other model code: its numbers must not be mixed in
        if not meta.exists():
            atomic_text(meta, json.dumps(mine))

    def save(self, chunk: Chunk) -> None:
        """Save a chunk as .npz (with a probe's values, if any); the daily counts as int16 when they fit,
        deflated at level 1.

        Level 1 compresses these mostly-repeating counts as well as the default level at a tenth of the
        time, which matters because the saving process competes with the workers for the cores.
        """
        name = f"chunk-{int(chunk.reps[0]):06d}-{int(chunk.reps[-1]):06d}.npz"
        daily = chunk.daily
        if daily.size and daily.max() < np.iinfo(np.int16).max:
            daily = daily.astype(np.int16)
        arrays = [("reps", chunk.reps), ("values", chunk.values), ("daily", daily), ("by_year", chunk.by_year)]
        if chunk.extra is not None:
            arrays.append(("extra", chunk.extra))
        if chunk.decisions is not None:
            arrays.append(("decisions", chunk.decisions))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for key, array in arrays:
                with archive.open(f"{key}.npy", "w") as fh:
                    np.save(fh, array)
        atomic_write(self.dir / name, lambda fh: fh.write(buf.getvalue()))

    def chunks(self):
        """Yield every saved :class:`~sim.run.worker.Chunk`; unreadable files are dropped (run again)."""
        if not self.dir.is_dir():
            return
        for f in sorted(self.dir.glob("chunk-*.npz")):
            try:
                with np.load(f) as z:
                    extra = z["extra"] if "extra" in z.files else None
                    decisions = z["decisions"] if "decisions" in z.files else None
                    chunk = Chunk(z["reps"], z["values"], z["daily"].astype(np.int32), z["by_year"], extra, decisions)
            except Exception:  # a file we cannot read is as good as not finished: recompute it
                f.unlink(missing_ok=True)
                continue
            yield chunk

    def remove(self) -> None:
        clear_partial(self.dir.parent)
