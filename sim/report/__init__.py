"""Interactive report of a run: one self-contained HTML file (plotly.js embedded) that opens offline.

``write_report(out_dir, lang)`` reads only the aggregated outputs of a run (summary.csv,
timeseries.parquet, scenario.resolved.yaml, manifest.json) and writes ``out_dir/report.html``.
"""

from __future__ import annotations

from pathlib import Path

from sim.report.labels import LANGS, Labels

__all__ = ["LANGS", "write_report"]


def write_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/report.html`` in ``lang`` ('en' or 'da') from the run's saved files; return its path."""
    from sim.outputs import atomic_text
    from sim.report.data import load
    from sim.report.page import render

    labels = Labels(lang)
    out_dir = Path(out_dir)
    html = render(load(out_dir), labels)
    path = out_dir / "report.html"
    atomic_text(path, html)
    return path
