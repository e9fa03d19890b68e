"""Records and outputs of every shipped scenario are exactly the recorded ones (tests/golden).

A refactor or a speed-up must pass this unchanged. A change meant to change numbers records them anew with
``make golden`` and says why in its commit; the diff of the JSON files then shows which scenario and which
summary rows moved.
"""

from __future__ import annotations

import json

import pytest

from tests.golden.record import fingerprint, golden_file, golden_name, scenario_paths

PATHS = scenario_paths()


@pytest.mark.parametrize("path", PATHS, ids=[golden_name(p) for p in PATHS])
def test_records_and_outputs_are_the_recorded_ones(path):
    golden = golden_file(path)
    assert golden.is_file(), f"no golden record for {path}: run `make golden`"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    got = fingerprint(path)
    for r, digest in expected["records"].items():
        assert got["records"][r] == digest, f"{path.name}: records of replication {r} differ"
    assert got["summary_csv"] == expected["summary_csv"], f"{path.name}: summary.csv differs"
    assert got["replications_parquet"] == expected["replications_parquet"], f"{path.name}: replications differ"
    assert got["timeseries_parquet"] == expected["timeseries_parquet"], f"{path.name}: daily series differ"
    assert got["summary_by_year_csv"] == expected["summary_by_year_csv"], f"{path.name}: summary_by_year.csv differs"
    assert got["replications_by_year"] == expected["replications_by_year"], f"{path.name}: yearly values differ"
