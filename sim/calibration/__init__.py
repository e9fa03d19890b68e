"""Calibration: fit a scenario's uncertain parameters to what happened, and backtest the fit.

- ``data``: the three input formats (yearly aggregates, occupancy series, episodes), person identifiers refused;
- ``episodes``: admissions by a Poisson GLM with trend and season; ``survival``: stays by censored maximum
  likelihood;
- ``surrogate``: the time-varying infinite-server mean occupancy, a fast stand-in for the simulation;
- ``aggregates``: demand, growth, stay scale and seasonality fitted to occupancy or yearly figures;
- ``observations``: every observed number as one table row, with its standard error and censoring;
- ``check``: the calibrated scenario simulated over the data period through the runner (fit table);
- ``calibrate``: the work of ``kapsim calibrate`` and ``kapsim backtest``, which write data files only (the
  pages, calibration.html and backtest.html, are rendered from them by ``sim.report.calibration``).
"""
