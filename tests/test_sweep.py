"""kapsim sweep: grid specs, the institution places shorthand, validation before running, resume."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sim.run.stored
from sim.cli import main
from sim.experiments.sweep import axes_of, grid, parse_spec, prepare, short_names
from sim.run.runner import Interrupted
from sim.scenario import overrides
from sim.scenario.loading import ScenarioError
from tests.helpers import BASELINE, pool, scenario_of

SHORT = ["--set", "horizon.years=2", "--set", "horizon.warmup_days=60", "-n", "4", "-q"]
SWEEP_COLUMNS = ["metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"]


@pytest.mark.parametrize(
    "spec, values",
    [
        ("19:31:2", [19, 21, 23, 25, 27, 29, 31]),
        ("19:30:2", [19, 21, 23, 25, 27, 29]),  # stop off the grid: not included
        ("0:0.3:0.1", [0.0, 0.1, 0.2, 0.3]),  # decimal steps land exactly on the stop
        ("10:4:-3", [10, 7, 4]),
        ("0,0.05,0.10", [0, 0.05, 0.1]),
        ("7", [7]),
        ("lognormal,gamma", ["lognormal", "gamma"]),
        ("[1, 2],[3]", [[1, 2], [3]]),
    ],
)
def test_grid_specs(spec, values):
    got = parse_spec(spec)
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]  # whole numbers stay whole


@pytest.mark.parametrize("spec", ["1:2:0", "3:1:1", "1:x:1", "1:2", ""])
def test_bad_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_spec(spec)


def test_grid_is_the_cartesian_product_first_key_slowest():
    base = scenario_of(pool(places=10))
    axes = axes_of(["institutions.A.units.main.places=8:10:2", "placement_types.remand.demand.per_year=300,400"])
    points = grid(base, axes)
    assert [tuple(p.values.values()) for p in points] == [(8, 300), (8, 400), (10, 300), (10, 400)]
    assert points[3].scenario.institutions["A"].units["main"].places == 10
    assert points[3].scenario.placement_types["remand"].demand.per_year == 400
    assert points[1].label == "main.places=8,demand.per_year=400"


def test_short_names_are_distinct_suffixes():
    names = short_names(["institutions.Egely.places", "institutions.Grenen.places", "placement_types.social.x"])
    assert names == {
        "institutions.Egely.places": "Egely.places",
        "institutions.Grenen.places": "Grenen.places",
        "placement_types.social.x": "social.x",
    }


def test_institution_places_mean_its_total_places():
    """Egely has 14 ordinary and 5 high-security places: a total of 21 gives the ordinary unit 16."""
    base = overrides.load(BASELINE, ["institutions.Egely.places=21"])
    units = base.institutions["Egely"].units
    assert units["ordinary"].places == 16 and units["high_security"].places == 5
    single = overrides.load(BASELINE, ["institutions.Koglen.places=12"])
    assert single.institutions["Koglen"].units["main"].places == 12


@pytest.mark.parametrize(
    "override, message",
    [
        ("institutions.Egely.places=4", "fewer than Egely's 5 high-security places"),
        ("institutions.Egeyl.places=20", "did you mean 'Egely'?"),
        ("institutions.Egely.places=2.5", "must be a whole number"),
    ],
)
def test_institution_places_shorthand_refusals(override, message):
    with pytest.raises(ScenarioError) as err:
        overrides.load(BASELINE, [override])
    assert message in str(err.value)


def test_institution_places_shorthand_is_refused_when_ambiguous():
    data = pool(places=4)
    data["institutions"]["A"]["units"]["second"] = {"places": 3}
    with pytest.raises(ScenarioError) as err:
        overrides.derive(scenario_of(data), overrides.parse(["institutions.A.places=9"]))
    assert "ambiguous" in str(err.value) and "institutions.A.units.UNIT.places" in str(err.value)


def test_an_invalid_point_is_refused_before_anything_runs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sim.run.stored, "run", lambda *a, **k: calls.append(1))
    out = tmp_path / "out"
    args = ["sweep", str(BASELINE), "--vary", "institutions.Egely.places=3:19:8", "--vary", "horizon.years=1,-1"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "-q"])
    assert result.exit_code != 0
    assert "point 0 (Egely.places=3,horizon.years=1)" in result.output
    assert "institutions.Egely.places" in result.output
    assert "point 3 (Egely.places=11,horizon.years=-1)" in result.output and "horizon.years" in result.output
    assert not calls and not out.exists()


def test_sweep_file_writes_the_documented_tables(tmp_path):
    sweep = tmp_path / "grid.yaml"
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(pool(places=8, per_year=600, mean_stay=4, years=2, warmup_days=20)))
    spec = {
        "base": "base.yaml",
        "vary": {"institutions.A.places": "8:10:2", "placement_types.remand.demand.per_year": [500, 600]},
        "set": {"horizon.replications": 3},
    }
    sweep.write_text(yaml.safe_dump({"sweep": spec}))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(sweep), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    keys = ["institutions.A.places", "placement_types.remand.demand.per_year"]
    assert list(table.columns) == ["point", *keys, *SWEEP_COLUMNS]
    assert sorted(table.point.unique()) == [0, 1, 2, 3]
    assert (table.n[table.metric == "utilisation"] == 3).all()
    util = table[(table.metric == "utilisation") & (table.scope == "national")].set_index(keys)["mean"]
    assert util[(8, 600)] > util[(10, 600)]  # same youths, more places: lower utilisation
    points = pd.read_csv(out / "points.csv")
    for folder in points.folder:
        assert json.loads((out / folder / "manifest.json").read_text())["replications"] == 3
    assert "4 points (0 reused)" in result.output


def test_sweep_file_is_checked(tmp_path):
    sweep = tmp_path / "grid.yaml"
    sweep.write_text(yaml.safe_dump({"sweep": {"base": "missing.yaml", "vary": {"a.b": [1]}}}))
    with pytest.raises(ScenarioError, match="no scenario file"):
        prepare(str(sweep))
    sweep.write_text(yaml.safe_dump({"sweep": {"base": str(BASELINE), "vray": {"a.b": [1]}}}))
    with pytest.raises(ScenarioError, match="vray"):
        prepare(str(sweep))


def test_an_interrupted_sweep_resumes_without_recomputing_finished_points(tmp_path, monkeypatch):
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(pool(places=8, per_year=600, mean_stay=4, years=2, warmup_days=20)))
    out = tmp_path / "out"
    args = ["sweep", str(base), "--vary", "institutions.A.places=8:12:2", "--out", str(out), "-n", "3", "-q"]
    real_run = sim.run.stored.run
    calls = []

    def interrupted_second(*a, **k):
        calls.append(a[0].institutions["A"].units["main"].places)
        if len(calls) == 2:
            raise Interrupted("interrupted: 0 of 3 replications finished and kept")
        return real_run(*a, **k)

    monkeypatch.setattr(sim.run.stored, "run", interrupted_second)
    first = CliRunner().invoke(main, args)
    assert first.exit_code != 0 and "1 of 3 points finished" in first.output and "resume" in first.output
    assert not (out / "sweep.csv").exists()
    done = out / "A.places=8" / "manifest.json"
    stamp = done.stat().st_mtime_ns

    calls.clear()
    monkeypatch.setattr(sim.run.stored, "run", lambda *a, **k: calls.append(a[0]) or real_run(*a, **k))
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert len(calls) == 2  # only the two unfinished points ran
    assert done.stat().st_mtime_ns == stamp
    assert "3 points (1 reused)" in second.output
    assert pd.read_csv(out / "points.csv").reused.tolist() == [True, False, False]


def test_sweep_says_what_it_writes():
    result = CliRunner().invoke(main, ["sweep", "--help"])
    assert "Writes" in result.output and "sweep.csv" in result.output
