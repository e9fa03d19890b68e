"""The simulation: a scenario compiled into indexed arrays, its random inputs, the SimPy model and its records.

Knows the scenario, nothing above it: no statistics, files, reports or command line.
"""
