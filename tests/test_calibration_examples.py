"""Calibration recovers the known truth behind the synthetic examples (calibration/examples/truth.yaml).

The examples are one simulated replication, so an estimate differs from the truth by its sampling error.
Tolerance: 3.5 bootstrap standard errors per parameter. For an unbiased, normal estimate that fails with
probability 5e-4 per comparison (under 1 % for the fifteen of a fit); the seeds are fixed, so the test is
deterministic. Over 10 to 20 other replications of the truth (checked while writing this; see docs/calibration.md) the
episode estimates were unbiased within their standard error, and the occupancy fit's amplitude was low by
about 0.015 (its bootstrap standard error, 0.03, is also about a third smaller than the spread across
replications), which 3.5 standard errors still cover. Each standard error must also be small enough for
the comparison to mean something (relative bounds below).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.calibration import aggregates, data, observations
from sim.calibration.episodes import fit_episodes
from sim.scenario.loading import load_scenario, resolved_dict, validate_data
from tests.helpers import BASELINE, ROOT

EXAMPLES = ROOT / "calibration" / "examples"
TRUTH = load_scenario(EXAMPLES / "truth.yaml")
K = 3.5


def baseline_from(start: str):
    """The baseline (wrong values: the fit must move them) with the truth's start date, so per_year compares."""
    d = resolved_dict(load_scenario(BASELINE))
    d["horizon"]["start"] = start
    return validate_data(d, {}, "baseline")


def truth_value(path: str) -> float:
    node = resolved_dict(TRUTH)
    for k in path.split("."):
        node = node[k]
    return float(node)


def check(estimate: float, draws: np.ndarray, truth: float, max_rel_se: float, label: str) -> float:
    se = float(np.std(draws, ddof=1))
    assert se <= max_rel_se * max(abs(truth), 0.05), f"{label}: se {se:.3g} too large to test"
    assert abs(estimate - truth) <= K * se, f"{label}: {estimate:.4g} vs truth {truth:.4g} (se {se:.3g})"
    return (estimate - truth) / se


def test_examples_are_exactly_what_the_script_makes_from_truth(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLES / "make_examples.py"), str(tmp_path)], check=True, cwd=ROOT, capture_output=True
    )
    for name in ("occupancy.csv", "episodes.csv", "yearly.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    total = sum((EXAMPLES / n).stat().st_size for n in ("occupancy.csv", "episodes.csv", "yearly.csv"))
    assert total < 2_000_000


@pytest.fixture(scope="module")
def episode_fit():
    return fit_episodes(data.load(EXAMPLES / "episodes.csv"), baseline_from("2019-01-01"), bootstrap=60, seed=1)


def test_episodes_recover_demand_stays_and_families(episode_fit):
    fit = episode_fit
    draws = pd.DataFrame(fit.draws)
    z = {}
    for t in ("remand", "sentence", "social"):
        b = f"placement_types.{t}"
        assert fit.values[f"{b}.stay.distribution"] == TRUTH.placement_types[t].stay.distribution
        season = fit.values[f"{b}.demand.seasonality"]
        assert abs(season["peak_month"] - 3) <= 1
        for key, rel in (("demand.per_year", 0.2), ("demand.growth", 1.0), ("stay.mean", 0.1), ("stay.cv", 0.1)):
            path = f"{b}.{key}"
            z[path] = check(fit.values[path], draws[path], truth_value(path), rel, path)
        path = f"{b}.demand.seasonality.amplitude"
        z[path] = check(season["amplitude"], draws[path], 0.2, 0.5, path)
    assert np.mean(np.abs(list(z.values()))) < 1.5  # typical |z| is 0.8 for unbiased estimates


@pytest.fixture(scope="module")
def aggregate_fit():
    scenario = baseline_from("2019-01-01")
    occ = observations.from_occupancy(data.load(EXAMPLES / "occupancy.csv"), scenario)
    yearly = observations.from_yearly(data.load(EXAMPLES / "yearly.csv"), scenario)
    obs = pd.concat([occ, yearly], ignore_index=True)
    return obs, scenario, aggregates.fit_aggregates(obs, scenario, bootstrap=20, seed=2)


def test_occupancy_and_yearly_figures_recover_demand_stays_and_season(aggregate_fit):
    obs, _, fit = aggregate_fit
    assert obs["censored"].any(), "the examples' capacity cut must produce capacity-bound weeks"
    assert fit.peak_month in (2, 3, 4)
    draws = pd.DataFrame(fit.draws)
    for t in ("remand", "sentence", "social"):
        b = f"placement_types.{t}"
        for key, rel in (("demand.per_year", 0.3), ("demand.growth", 1.0), ("stay.mean", 0.1)):
            path = f"{b}.{key}"
            check(fit.values[path], draws[path], truth_value(path), rel, path)
    path = "placement_types.remand.demand.seasonality.amplitude"
    check(fit.values[path.removesuffix(".amplitude")]["amplitude"], draws[path], 0.2, 0.5, path)
    path = "placement_types.remand.stay.drift"
    check(fit.values[path], draws[path], 0.0, 0.5, path)


def test_capacity_bound_rows_are_lower_bounds_not_demand():
    """Noise-free: the surrogate's own occupancy, clipped at 80 places for a year. Fitted as a lower bound
    the truth is recovered; taken at face value the clipped year drags demand down."""
    scenario = baseline_from("2019-01-01")
    days = pd.date_range("2019-01-01", "2023-12-31", freq="7D")
    obs = pd.DataFrame({
        "source": "test", "period": days.strftime("%Y-%m-%d"), "start": days, "end": days + pd.Timedelta(days=7),
        "measure": "mean_census", "scope": "national", "placement_type": "all", "observed": 0.0, "sd": 3.0,
        "places": 120.0, "censored": False, "used": True, "note": "", "tag": "",
    })  # fmt: skip
    obs["start"], obs["end"] = obs["start"].astype("datetime64[s]"), obs["end"].astype("datetime64[s]")
    truth = aggregates.Problem(scenario, obs, [])
    level = truth.predicted(np.empty(0), every_row=True)
    clipped = (obs["start"] >= "2021-01-01") & (obs["start"] < "2022-01-01")
    obs["observed"] = np.where(clipped, np.minimum(level, 80.0), level)
    obs["censored"] = clipped & (level > 80.0)
    assert obs["censored"].sum() > 20
    held = ("growth", "stay", "drift", "season")
    good = aggregates.fit_aggregates(obs, scenario, hold=held, bootstrap=0)
    naive = aggregates.fit_aggregates(obs.assign(censored=False), scenario, hold=held, bootstrap=0)
    path = "placement_types.remand.demand.per_year"
    true = scenario.placement_types["remand"].demand.per_year
    assert abs(good.values[path] / true - 1) < 1e-3
    assert naive.values[path] / true < 0.98
