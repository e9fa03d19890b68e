"""Interactive reports: one self-contained HTML file each (plotly.js embedded) that opens offline.

``write_report(out_dir, lang)`` reads only the aggregated outputs of a run (summary.csv,
timeseries.parquet, scenario.resolved.yaml, manifest.json, and observed.csv when the run was given
observed occupancy) and writes ``out_dir/report.html``;
``write_comparison_report`` and ``write_sweep_report`` write ``comparison.html`` and ``sweep.html`` from a
comparison's or a sweep's tables and each sub-folder's aggregated outputs;
``write_calibration_report`` and ``write_backtest_report`` write ``calibration.html`` and ``backtest.html``
from the data files of ``kapsim calibrate`` and ``kapsim backtest`` (fit.csv or backtest.csv and
backtest.json, parameters.csv, facts.json, curves.csv). ``write_any`` picks by the files the folder holds.
"""

from __future__ import annotations

from pathlib import Path

from sim.report.labels import LANGS, Labels
from sim.run import folder

__all__ = [
    "LANGS",
    "write_any",
    "write_backtest_report",
    "write_calibration_report",
    "write_comparison_report",
    "write_place_report",
    "write_report",
    "write_sweep_report",
]


def _write(out_dir: Path, name: str, load, render, lang: str) -> Path:
    """Render one page from the saved files in ``out_dir`` and write it atomically as ``out_dir/name``."""
    from sim.run.files import atomic_text

    out_dir = Path(out_dir)
    path = out_dir / name
    atomic_text(path, render(load(out_dir), Labels(lang)))
    return path


def write_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/report.html`` in ``lang`` ('en' or 'da') from the run's saved files; return its path."""
    from sim.report.data import load
    from sim.report.page import render

    return _write(out_dir, folder.REPORT, load, render, lang)


def write_comparison_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/comparison.html`` from comparison.csv and each scenario's folder; return its path."""
    from sim.report.experiment_pages import render_comparison
    from sim.report.experiments import load_comparison

    return _write(out_dir, folder.COMPARISON_PAGE, load_comparison, render_comparison, lang)


def write_sweep_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/sweep.html`` from sweep.csv, points.csv and the first point's folder; return its path."""
    from sim.report.experiment_pages import render_sweep
    from sim.report.experiments import load_sweep

    return _write(out_dir, folder.SWEEP_PAGE, load_sweep, render_sweep, lang)


def write_calibration_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/calibration.html`` from fit.csv, parameters.csv, facts.json (and curves.csv) of
    ``kapsim calibrate``; return its path."""
    from sim.report.calibration import load_calibration, render
    from sim.run.folder import CALIBRATION_PAGE

    return _write(out_dir, CALIBRATION_PAGE, load_calibration, render, lang)


def write_backtest_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/backtest.html`` from backtest.csv, backtest.json, parameters.csv, facts.json (and
    curves.csv) of ``kapsim backtest``; return its path."""
    from sim.report.calibration import load_backtest, render
    from sim.run.folder import BACKTEST_PAGE

    return _write(out_dir, BACKTEST_PAGE, load_backtest, render, lang)


def write_plan_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/size_by_year.html`` from the plan of ``kapsim size --by-year``; return its path."""
    from sim.report.plan import load, render

    return _write(out_dir, folder.SIZE_BY_YEAR_PAGE, load, render, lang)


def write_place_report(out_dir: Path, lang: str = "en") -> Path:
    """Render ``out_dir/place.html`` from the place.json of ``kapsim place``; return its path."""
    from sim.report.place import load, render

    return _write(out_dir, folder.PLACE_PAGE, load, render, lang)


def write_any(out_dir: Path, lang: str = "en") -> Path:
    """comparison.html if the folder holds comparison.csv, sweep.html if sweep.csv, calibration.html if
    fit.csv, backtest.html if backtest.csv (the one facts.json names if both), else report.html."""
    from sim.report.calibration import page_of
    from sim.run.folder import BACKTEST_PAGE, CALIBRATION_PAGE

    out_dir = Path(out_dir)
    if (out_dir / folder.COMPARISON).is_file():
        return write_comparison_report(out_dir, lang)
    if (out_dir / folder.SIZE_BY_YEAR_JSON).is_file():
        return write_plan_report(out_dir, lang)
    if (out_dir / folder.PLACE_JSON).is_file():
        return write_place_report(out_dir, lang)
    if (out_dir / folder.SWEEP).is_file():
        return write_sweep_report(out_dir, lang)
    page = page_of(out_dir)
    if page == CALIBRATION_PAGE:
        return write_calibration_report(out_dir, lang)
    if page == BACKTEST_PAGE:
        return write_backtest_report(out_dir, lang)
    return write_report(out_dir, lang)
