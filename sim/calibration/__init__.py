"""Calibration: fit a scenario's uncertain parameters to what happened, and backtest the fit.

- ``data``: the three input formats (yearly aggregates, occupancy series, episodes), person identifiers refused;
- ``episodes``: admissions by a Poisson GLM with trend and season, stays by censored maximum likelihood;
- ``surrogate``: the time-varying infinite-server mean occupancy, a fast stand-in for the simulation;
- ``aggregates``: demand, growth, stay scale and seasonality fitted to occupancy or yearly figures;
- ``check``: the calibrated scenario simulated over the data period (fit table);
- ``calibrate`` and ``backtest``: the two commands' work; ``page``: calibration.html.
"""
