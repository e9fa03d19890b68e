"""kapsim calibrate and kapsim backtest as a user meets them, on the synthetic examples."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from plotly.offline import get_plotlyjs

from sim.calibration.check import FIT_COLUMNS
from sim.cli import main
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario
from sim.scenario.uncertainty import with_draws_applied
from tests.helpers import BASELINE, ROOT

EXAMPLES = ROOT / "calibration" / "examples"


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibrate") / "out"
    result = invoke(
        "calibrate", str(BASELINE), "--data", str(EXAMPLES / "yearly.csv"), "--occupancy",
        str(EXAMPLES / "occupancy.csv"), "--out", str(out), "--bootstrap", "8", "-n", "6",
    )  # fmt: skip
    return out, result.output


def test_calibrate_writes_a_scenario_that_extends_the_input(calibrated):
    out, printed = calibrated
    assert "placement_types.social.demand.growth" in printed and "inside the simulated 90 % range" in printed
    text = (out / "calibrated.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert not raw["extends"].startswith("/")  # relative, so the folder can move with the scenarios
    assert (out / raw["extends"]).resolve() == BASELINE.resolve()
    s = load_scenario(out / "calibrated.yaml")
    assert s.institutions == load_scenario(BASELINE).institutions  # only the fitted values change
    pu = s.parameter_uncertainty
    assert len(pu.draws) == 8 and not pu.apply
    assert "placement_types.social.demand.per_year" in pu.draws[0]


def test_fit_table_and_page(calibrated):
    out, _ = calibrated
    table = pd.read_csv(out / "fit.csv")
    assert list(table.columns) == FIT_COLUMNS
    census = table[(table.measure == "mean_census") & (table.scope == "national") & table.used_in_fit]
    assert len(census) > 200 and census.simulated_mean.notna().all()
    assert (census.simulated_p05 <= census.simulated_mean).all()
    assert (census.simulated_mean <= census.simulated_p95).all()
    assert table.censored.any()
    # the calibrated scenario reproduces the observed census: most weeks inside the simulated 90 % range
    assert census.inside_90.mean() > 0.7
    params = pd.read_csv(out / "parameters.csv")
    assert {"parameter", "estimate", "se", "p05", "p95"} <= set(params.columns)
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert facts["page"] == "calibration" and facts["data"] == ["yearly.csv", "occupancy.csv"]
    assert facts["method"] == "surrogate" and facts["replications"] == 6 and facts["command"].startswith("kapsim ")
    assert not (out / "curves.csv").exists()  # no episodes, no curves
    assert not (out / "history").exists()  # the partial store is gone once fit.csv is written
    page = (out / "calibration.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and "Simulated 90 % range" in page
    assert page.count(get_plotlyjs()) == 1  # plotly.js embedded once
    rest = page.replace(get_plotlyjs(), "")  # (the bundle itself names a map server it never calls here)
    assert not re.search(r"<script[^>]+src=", rest) and "http:" not in rest and "https:" not in rest


def test_run_with_parameter_uncertainty_on_the_calibrated_scenario(calibrated):
    out, _ = calibrated
    s = load_scenario(out / "calibrated.yaml", ["horizon.years=1", "horizon.warmup_days=100"])
    k = None
    spreads = []
    for scenario in (s, with_draws_applied(s)):
        exp = Experiment(scenario)
        k = exp.layout.keys.index(("arrivals_per_year", "national", "social"))
        values = [exp.replicate(r)[0][k] for r in range(8)]
        again = [Experiment(scenario).replicate(r)[0][k] for r in range(8)]
        assert values == again  # same seed, same numbers
        spreads.append(pd.Series(values))
    assert not spreads[0].equals(spreads[1])


def test_backtest_on_episodes_reports_the_following_year(tmp_path):
    out = tmp_path / "bt"
    result = invoke(
        "backtest", str(BASELINE), "--episodes", str(EXAMPLES / "episodes.csv"), "--cut", "2023-01-01",
        "--years", "1", "--out", str(out), "--bootstrap", "6", "-n", "6",
    )  # fmt: skip
    assert "test" in result.output and "inside the 90 % range" in result.output
    table = pd.read_csv(out / "backtest.csv")
    assert set(table.window) == {"fit", "test"}
    test = table[table.window == "test"]
    assert set(test.period.astype(str).str[:4]) == {"2023"}
    assert {"remand", "sentence", "social"} <= set(test.placement_type)
    assert "projecting 6 replications from 2023-01-01" in result.output  # from the youths placed on the cut date
    assert test.note.str.contains("projected from the state on 2023-01-01").all()
    assert not table[table.window == "fit"].note.fillna("").str.contains("projected").any()
    summary = json.loads((out / "backtest.json").read_text())
    assert summary["cut"] == "2023-01-01" and summary["test"]["rows"] == len(test)
    assert 0 <= summary["test"]["inside_90_share"] <= 1
    assert (out / "backtest.html").is_file() and (out / "calibrated.yaml").is_file()
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert facts["page"] == "backtest" and facts["cut"] == "2023-01-01" and facts["method"] == "episodes"
    curves = pd.read_csv(out / "curves.csv")
    assert {"kaplan_meier", "admissions", "glm", facts["stays"]["remand"]["families"][0]["distribution"]} <= set(
        curves.curve
    )
    assert not (out / "history").exists() and not (out / "projection").exists()


def test_person_identifiers_are_refused_before_anything_is_written(tmp_path):
    bad = tmp_path / "episodes.csv"
    lines = (EXAMPLES / "episodes.csv").read_text(encoding="utf-8").splitlines()[:5]
    bad.write_text("\n".join([lines[0] + ",cpr"] + [f"{x},010203-1234" for x in lines[1:]]) + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["calibrate", str(BASELINE), "--episodes", str(bad), "--out", str(out)])
    assert result.exit_code != 0 and "column 'cpr' looks like a person identifier" in result.output
    assert "010203-1234" not in result.output and not out.exists()
