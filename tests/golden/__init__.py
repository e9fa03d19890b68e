"""Recorded results of every shipped scenario, to prove that a change meant to keep the numbers kept them.

For each scenario (``scenarios/*.yaml``, the calibration truth and the policy scenarios in
``tests/golden/scenarios/``) a few replications run through the whole pipeline (records, measures,
statistics, the run folder's files), and the golden file ``tests/golden/NAME.json`` holds:

- a SHA-256 of every array of every replication's records (youths, admissions, units, departures,
  withdrawals, open places, moves, openings, overdue emergency places);
- ``summary.csv`` exactly as written (its text), and SHA-256s of the values of ``replications.parquet`` and
  ``timeseries.parquet``.

``tests/test_golden.py`` compares a fresh run with these files. A change that is *meant* to change numbers
updates them with ``make golden`` (``python -m tests.golden``) and says why in its commit.
"""
