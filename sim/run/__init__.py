"""Replications: the worker that runs one by number, the runner (serial, processes, Dask), the run folder."""
