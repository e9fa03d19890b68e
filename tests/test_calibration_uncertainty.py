"""Parameter uncertainty in runs: replication r uses draw r mod N; the seed alone fixes the numbers."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.run.worker import Experiment
from sim.scenario.loading import ScenarioError, validate_data
from sim.scenario.uncertainty import apply_draw, with_draws_applied
from tests.helpers import pool, scenario_of

PER_YEAR = "placement_types.remand.demand.per_year"


def uncertain(draws, apply=True, **kw):
    data = pool(places=200, per_year=100.0, mean_stay=20.0, years=2, warmup_days=60, **kw)
    data["parameter_uncertainty"] = {"source": "test", "apply": apply, "draws": draws}
    return data


def arrivals(exp: Experiment, reps: range) -> np.ndarray:
    k = exp.layout.keys.index(("arrivals_per_year", "national", "remand"))
    return np.array([exp.replicate(r)[0][k] for r in reps])


def test_draw_paths_must_exist_and_be_numbers():
    bad = uncertain([{PER_YEAR: 90.0, "placement_types.remand.demand.per_yaer": 1.0}])
    with pytest.raises(ScenarioError, match="per_yaer' is not a number in this scenario"):
        validate_data(bad, {}, "x.yaml")
    with pytest.raises(ScenarioError, match="may not vary between replications"):
        validate_data(uncertain([{"horizon.years": 3}]), {}, "x.yaml")
    with pytest.raises(ScenarioError, match="regions' is not a number"):
        validate_data(uncertain([{"placement_types.remand.demand.regions": 1.0}]), {}, "x.yaml")
    with pytest.raises(ScenarioError):
        validate_data(uncertain([{PER_YEAR: "many"}]), {}, "x.yaml")
    validate_data(uncertain([{PER_YEAR: 90.0, "placement_types.remand.stay.mean": 21}]), {}, "x.yaml")


def test_replication_uses_draw_r_mod_n_and_keeps_its_random_streams():
    draws = [{PER_YEAR: 50.0}, {PER_YEAR: 200.0}]
    exp = Experiment(scenario_of(uncertain(draws)))
    got = arrivals(exp, range(4))
    # replication r of the draw-r scenario, run on its own, gives the same numbers
    for r in range(4):
        alone = Experiment(apply_draw(scenario_of(uncertain(draws)), draws[r % 2]))
        assert got[r] == arrivals(alone, range(r, r + 1))[0]
    assert got[1] > 2 * got[0] and got[3] > 2 * got[2]


def test_uncertainty_widens_the_spread_and_the_same_seed_repeats_it():
    draws = [{PER_YEAR: v} for v in (60.0, 80.0, 100.0, 120.0, 140.0)]
    reps = range(20)
    plain = arrivals(Experiment(scenario_of(uncertain(draws, apply=False))), reps)
    with_draws = arrivals(Experiment(scenario_of(uncertain(draws))), reps)
    again = arrivals(Experiment(scenario_of(uncertain(draws))), reps)
    assert np.array_equal(with_draws, again)
    assert with_draws.std() > 2 * plain.std()
    assert abs(plain.mean() - with_draws.mean()) < 3 * with_draws.std() / np.sqrt(len(reps))


def test_run_flag_needs_draws(write_yaml, tmp_path):
    path = write_yaml("plain.yaml", pool(years=1, replications=2))
    result = CliRunner().invoke(main, ["run", str(path), "--parameter-uncertainty", "-q", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "no parameter draws" in result.output
    with pytest.raises(ScenarioError):
        with_draws_applied(scenario_of(pool()))
