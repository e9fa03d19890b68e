"""From records to numbers: the metrics catalogue, the measures of one replication and statistics across them.

Statistics take arrays; nothing here runs SimPy.
"""
