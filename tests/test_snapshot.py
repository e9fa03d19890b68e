"""kapsim snapshot: the youths placed and waiting on a date, counted from episode records."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.calibration import check
from sim.calibration.data import DataError, Episodes, load
from sim.calibration.snapshot import complete_from, start_state
from sim.cli import main
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario, resolved_dict, validate_data
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


def test_on_the_first_date_allowed_at_most_a_few_youths_are_missing():
    """complete_from waits for the 99th percentile of stays: the youths in place whose stay began before the
    file are then about 1 % of the census (those with longer stays), not the third or more of early dates."""
    records = load(EXAMPLES / "episodes.csv")
    scenario = load_scenario(EXAMPLES / "truth.yaml")
    date = complete_from(records)
    occupancy = pd.read_csv(EXAMPLES / "occupancy.csv")
    census = occupancy[occupancy.date == (date - pd.Timedelta(days=1)).strftime("%Y-%m-%d")]["occupied"].sum()
    placed = sum(r["count"] for r in start_state(records, scenario, date)["placed"])
    assert census > 80 and 0 <= census - placed <= 0.03 * census


def episodes(*rows) -> Episodes:
    columns = ["admission", "discharge", "need", "placement_type", "institution", "home_region"]
    early = ("2023-01-02", "2023-01-12", "2023-01-02", "remand", "Koglen", "Midtjylland")  # the file's first date
    frame = pd.DataFrame([early, *rows], columns=columns)
    for c in ("admission", "discharge", "need"):
        frame[c] = pd.to_datetime(frame[c])
    return Episodes("made-up.csv", frame, pd.Timestamp("2024-06-01"))


def test_who_counts_as_placed_or_waiting_on_the_date_and_in_which_unit():
    data = resolved_dict(load_scenario(BASELINE))
    data["institutions"]["Grenen"]["units"]["ordinary"]["accepts"] = ["remand", "sentence"]
    scenario = validate_data(data, {}, "test")
    egely = ("2024-02-25", None, "2024-02-25", "remand", "Egely", "Syddanmark")  # ongoing, Egely has two units
    state = start_state(
        episodes(
            ("2024-02-20", "2024-03-01", "2024-02-20", "remand", "Sønderbro", "Hovedstaden"),  # leaves on D: placed
            ("2024-02-20", "2024-02-29", "2024-02-20", "remand", "Sønderbro", "Hovedstaden"),  # left before D
            ("2024-03-01", None, "2024-03-01", "remand", "Sønderbro", "Hovedstaden"),  # admitted on D: comes in the run
            *[egely] * 15,  # 14 fill the ordinary unit's places, the 15th goes to the high-security unit
            ("2024-02-01", None, "2024-02-01", "social", "Grenen", "Midtjylland"),  # only the secure unit takes it
            ("2024-03-03", None, "2024-02-27", "social", "Koglen", "Midtjylland"),  # needed before D: waiting
            ("2024-03-01", None, "2024-02-28", "sentence", "Koglen", "Nordjylland"),  # admitted on D: waiting on D
        ),
        scenario,
        D,
    )
    row = ("institution", "unit", "type", "days_stayed", "count", "home")
    assert state["placed"] == [  # days: admitted some time during the admission day, so half a day less
        dict(zip(row, ("Egely", "ordinary", "remand", 4.5, 14, "Syddanmark"))),
        dict(zip(row, ("Egely", "high_security", "remand", 4.5, 1, "Syddanmark"))),
        dict(zip(row, ("Grenen", "high_security", "social", 28.5, 1, "Midtjylland"))),
        dict(zip(row, ("Sønderbro", "main", "remand", 9.5, 1, "Hovedstaden"))),
    ]
    assert state["waiting"] == [
        {"type": "sentence", "days_waited": 1.5, "count": 1, "home": "Nordjylland"},
        {"type": "social", "days_waited": 2.5, "count": 1, "home": "Midtjylland"},
    ]
    data["start_state"] = state
    data["horizon"].update(start="2024-03-01", warmup_days=0)
    rec = Experiment(validate_data(data, {}, "test")).records(0)
    assert (rec.youths.start_unit >= 0).sum() == 17
    assert ((rec.youths.start_unit < 0) & (rec.youths.arrival < 0)).sum() == 2  # the two waiting youths


def test_unknown_values_early_dates_and_dates_after_the_records_are_refused():
    scenario = load_scenario(BASELINE)
    bad = episodes(("2024-02-20", None, "2024-02-20", "remand", "Nowhere", "Hovedstaden"))
    with pytest.raises(DataError, match=r"made-up.csv: column 'institution', line 3: 'Nowhere' \(in place or waiting"):
        start_state(bad, scenario, D)
    good = episodes(("2024-02-20", None, "2024-02-20", "remand", "Egely", "Syddanmark"))
    with pytest.raises(DataError, match="records end on 2024-05-31; they cannot give the state on 2024-07-01"):
        start_state(good, scenario, "2024-07-01")
    with pytest.raises(DataError, match="records begin on 2023-01-02, so on 2023-02-01 youths admitted before then"):
        start_state(good, scenario, "2023-02-01")
    real = load(EXAMPLES / "episodes.csv")
    with pytest.raises(DataError, match="choose a date from 2019-10-07 on"):
        start_state(real, load_scenario(EXAMPLES / "truth.yaml"), "2019-06-01")


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
        "institution",
        "unit",
        "type",
        "days_stayed",
        "count",
        "home",
    }
    scenario = load_scenario(target)
    assert str(scenario.horizon.start) == "2023-01-01" and scenario.horizon.warmup_days == 0
    truth = load_scenario(EXAMPLES / "truth.yaml")
    years = (pd.Timestamp("2023-01-01") - pd.Timestamp(truth.horizon.start)).days / 365.25
    for name, p in truth.placement_types.items():  # growth and drift count from the start date: moved with it
        q = scenario.placement_types[name]
        assert q.demand.per_year == pytest.approx(p.demand.per_year * (1 + p.demand.growth) ** years, rel=1e-5)
        assert q.stay.mean == pytest.approx(p.stay.mean * (1 + p.stay.drift) ** years, rel=1e-5)
        assert (q.demand.growth, q.stay.cv, q.demand.seasonality) == (p.demand.growth, p.stay.cv, p.demand.seasonality)
    assert truth.placement_types["social"].demand.growth > 0.05  # so the move matters
    rec = Experiment(scenario).records(0)
    assert (rec.youths.start_unit >= 0).sum() == 103


def test_snapshot_never_overwrites_the_scenario_it_extends(tmp_path):
    scenario = tmp_path / "mine.yaml"
    text = f"extends: {EXAMPLES / 'truth.yaml'}\nname: mine\n"
    scenario.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [
        "snapshot", str(scenario), "--episodes", str(EXAMPLES / "episodes.csv"), "--date", "2023-01-01",
        "--out", str(scenario),
    ])  # fmt: skip
    assert result.exit_code != 0 and "would overwrite SCENARIO" in result.output
    assert scenario.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


def test_projection_of_a_backtest_starts_from_the_snapshot():
    scenario = load_scenario(EXAMPLES / "truth.yaml")
    state = start_state(load(EXAMPLES / "episodes.csv"), scenario, "2023-01-01")
    ahead, _ = check.history_scenario(
        scenario, pd.Timestamp("2023-01-01"), pd.Timestamp("2024-01-01"), 2, start_state=state
    )
    assert ahead.horizon.warmup_days == 0 and str(ahead.horizon.start) == "2023-01-01"
    assert (Experiment(ahead).records(1).youths.start_unit >= 0).sum() == 103


def test_backtest_projection_fills_the_test_rows_over_their_whole_period(tmp_path, monkeypatch):
    """With episodes, the test rows are measured in a run that starts on the cut date from the snapshot and
    lasts as long as the history run (rows ending after --years are measured over their whole period)."""
    from sim.calibration import calibrate

    calls = []
    simulate = check.simulate

    def spy(history, obs, progress=None):
        values = simulate(history, obs, progress)
        calls.append((history, obs.copy(), values))
        return values

    monkeypatch.setattr(check, "simulate", spy)
    inputs = calibrate.read_inputs(episodes=str(EXAMPLES / "episodes.csv"))
    cut = pd.Timestamp("2023-01-01")
    outcome, _ = calibrate.run_backtest(str(BASELINE), inputs, cut, 1.5, tmp_path, bootstrap=4, replications=4)
    (history, _, _), (ahead, obs, values) = calls
    assert ahead.start_state is not None and str(ahead.horizon.start) == "2023-01-01"
    assert sum(r.count for r in ahead.start_state.placed) == 103
    end = pd.Timestamp(ahead.horizon.start) + pd.Timedelta(days=round(ahead.horizon.years * 365.25))
    assert end >= obs["end"].max() and end == pd.Timestamp(history.horizon.start) + pd.Timedelta(
        days=round(history.horizon.years * 365.25)
    )
    assert not pd.isna(values).any()  # every test row measured in every replication
    table = outcome.table
    test = table[table.window == "test"]
    assert len(test) > 12 and test.note.str.contains("projected from the state on 2023-01-01").all()
    by_period = dict(zip(zip(obs["period"], obs["measure"], obs["placement_type"]), values.mean(axis=0)))
    for r in test.itertuples():
        assert r.simulated_mean == pytest.approx(by_period[r.period, r.measure, r.placement_type], rel=1e-12)
