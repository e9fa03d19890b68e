"""kapsim snapshot: the youths placed and waiting on a date, counted from episode records."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.calibration import check
from sim.calibration.data import DataError, Episodes, load
from sim.calibration.snapshot import start_state
from sim.cli import main
from sim.experiment import Experiment
from sim.scenario import load_scenario, resolved_dict, validate_data
from tests.helpers import BASELINE, ROOT

EXAMPLES = ROOT / "calibration" / "examples"
D = pd.Timestamp("2024-03-01")


@pytest.mark.parametrize("date", ["2020-06-15", "2023-01-01", "2024-12-31"])
def test_youths_placed_on_a_date_are_the_census_of_the_day_before(date):
    """episodes.csv and occupancy.csv come from the same simulated run (calibration/examples): the youths
    placed when a day starts are those the occupancy series counts at the end of the day before, in every
    institution."""
    state = start_state(load(EXAMPLES / "episodes.csv"), load_scenario(EXAMPLES / "truth.yaml"), date)
    placed = pd.DataFrame(state["placed"]).groupby("institution")["count"].sum()
    occupancy = pd.read_csv(EXAMPLES / "occupancy.csv")
    before = occupancy[occupancy.date == (pd.Timestamp(date) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")]
    census = before.set_index("institution")["occupied"]
    assert census.sum() > 80
    assert placed.reindex(census.index, fill_value=0).to_dict() == census.to_dict()


def episodes(*rows) -> Episodes:
    columns = ["admission", "discharge", "need", "placement_type", "institution", "home_region"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in ("admission", "discharge", "need"):
        frame[c] = pd.to_datetime(frame[c])
    return Episodes("made-up.csv", frame, pd.Timestamp("2024-06-01"))


def test_who_counts_as_placed_or_waiting_on_the_date_and_in_which_unit():
    data = resolved_dict(load_scenario(BASELINE))
    data["institutions"]["Grenen"]["units"]["ordinary"]["accepts"] = ["remand", "sentence"]
    scenario = validate_data(data, {}, "test")
    state = start_state(
        episodes(
            ("2024-02-20", "2024-03-01", "2024-02-20", "remand", "Sønderbro", "Hovedstaden"),  # leaves on D: placed
            ("2024-02-20", "2024-02-29", "2024-02-20", "remand", "Sønderbro", "Hovedstaden"),  # left before D
            ("2024-03-01", None, "2024-03-01", "remand", "Sønderbro", "Hovedstaden"),  # admitted on D: comes in the run
            ("2024-02-25", None, "2024-02-25", "remand", "Egely", "Syddanmark"),  # ongoing, two units: ordinary
            ("2024-02-25", None, "2024-02-25", "remand", "Egely", "Syddanmark"),  # the same again: counted twice
            ("2024-02-01", None, "2024-02-01", "social", "Grenen", "Midtjylland"),  # only the secure unit takes it
            ("2024-03-03", None, "2024-02-27", "social", "Koglen", "Midtjylland"),  # needed before D: waiting
            ("2024-03-01", None, "2024-02-28", "sentence", "Koglen", "Nordjylland"),  # admitted on D: waiting on D
        ),
        scenario,
        D,
    )
    row = ("institution", "unit", "type", "days_stayed", "count", "home")
    assert state["placed"] == [
        dict(zip(row, ("Egely", "ordinary", "remand", 5, 2, "Syddanmark"))),
        dict(zip(row, ("Grenen", "high_security", "social", 29, 1, "Midtjylland"))),
        dict(zip(row, ("Sønderbro", "main", "remand", 10, 1, "Hovedstaden"))),
    ]
    assert state["waiting"] == [
        {"type": "sentence", "days_waited": 2, "count": 1, "home": "Nordjylland"},
        {"type": "social", "days_waited": 3, "count": 1, "home": "Midtjylland"},
    ]
    data["start_state"] = state
    data["horizon"].update(start="2024-03-01", warmup_days=0)
    rec = Experiment(validate_data(data, {}, "test")).records(0)
    assert (rec.youths.start_unit >= 0).sum() == 4
    assert ((rec.youths.start_unit < 0) & (rec.youths.arrival < 0)).sum() == 2  # the two waiting youths


def test_unknown_institution_or_a_date_after_the_records_is_refused():
    scenario = load_scenario(BASELINE)
    bad = episodes(("2024-02-20", None, "2024-02-20", "remand", "Nowhere", "Hovedstaden"))
    with pytest.raises(DataError, match=r"made-up.csv: column 'institution': 'Nowhere' on 2024-03-01 is not in"):
        start_state(bad, scenario, D)
    good = episodes(("2024-02-20", None, "2024-02-20", "remand", "Egely", "Syddanmark"))
    with pytest.raises(DataError, match="records end on 2024-05-31; they cannot give the state on 2024-07-01"):
        start_state(good, scenario, "2024-07-01")


def test_snapshot_command_writes_a_scenario_that_starts_from_the_date(tmp_path):
    target = tmp_path / "scenarios" / "from-2023.yaml"
    result = CliRunner().invoke(main, [
        "snapshot", str(EXAMPLES / "truth.yaml"), "--episodes", str(EXAMPLES / "episodes.csv"),
        "--date", "2023-01-01", "--out", str(target),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "103 youths placed and 0 waiting on 2023-01-01" in result.output
    body = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert {k for row in body["start_state"]["placed"] for k in row} == {
        "institution", "unit", "type", "days_stayed", "count", "home",
    }  # fmt: skip
    scenario = load_scenario(target)
    assert str(scenario.horizon.start) == "2023-01-01" and scenario.horizon.warmup_days == 0
    assert scenario.placement_types == load_scenario(EXAMPLES / "truth.yaml").placement_types
    rec = Experiment(scenario).records(0)
    assert (rec.youths.start_unit >= 0).sum() == 103


def test_projection_of_a_backtest_starts_from_the_snapshot():
    scenario = load_scenario(EXAMPLES / "truth.yaml")
    state = start_state(load(EXAMPLES / "episodes.csv"), scenario, "2023-01-01")
    ahead, _ = check.history_scenario(scenario, pd.Timestamp("2023-01-01"), pd.Timestamp("2024-01-01"), 2,
                                      start_state=state)  # fmt: skip
    assert ahead.horizon.warmup_days == 0 and str(ahead.horizon.start) == "2023-01-01"
    assert (Experiment(ahead).records(1).youths.start_unit >= 0).sum() == 103
