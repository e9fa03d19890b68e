"""kapsim size: the Erlang C pre-screen against known values, targets, levers, and the sizing answer."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.experiments import erlang
from sim.experiments.size import SizeError, check_target, judge, parse_lever, parse_target
from sim.results.statistics import t_interval
from sim.scenario import overrides
from tests.helpers import BASELINE, pool, scenario_of


@pytest.mark.parametrize(
    "c, a, expected",
    [
        (2, 1.0, 1 / 3),  # exact fractions
        (3, 2.0, 4 / 9),
        (11, 10.0, 0.6821),  # call-centre tables (e.g. Cooper, Introduction to Queueing Theory)
        (12, 10.0, 0.4494),
        (10, 10.0, 1.0),  # overloaded: everyone waits
    ],
)
def test_erlang_c_known_values(c, a, expected):
    assert erlang.erlang_c(c, a) == pytest.approx(expected, abs=5e-5)


def test_erlang_b_known_value_and_wait_formulas():
    assert erlang.erlang_b(5, 3.0) == pytest.approx(0.1101, abs=5e-5)
    # M/M/2, a = 1, mean stay 1: P(wait) = 1/3, mean wait = C / (c - a) = 1/3, P(W > t) = C e^{-(c-a)t}
    assert erlang.mean_wait(2, 1.0, 1.0) == pytest.approx(1 / 3)
    assert erlang.p_wait_over(2, 1.0, 1.0, 0.5) == pytest.approx(math.exp(-0.5) / 3)
    assert erlang.mean_queue(2, 1.0, 1.0) == pytest.approx(1 / 3)
    # the highest priority class waits less than the pool, the lowest more
    pooled = erlang.p_wait_over(12, 10.0, 1.0, 0.2)
    assert erlang.p_wait_over(12, 10.0, 1.0, 0.2, before=0.0, level=5.0) < pooled
    assert erlang.p_wait_over(12, 10.0, 1.0, 0.2, before=5.0, level=10.0) > pooled


def test_offered_load_is_lambda_times_mean_stay():
    load = erlang.offered_load(scenario_of(pool(per_year=730, mean_stay=4, years=2)))
    assert load.average == pytest.approx(8.0, rel=1e-3) and load.peak == pytest.approx(8.0, rel=1e-3)
    assert load.mean_stay == pytest.approx(4.0, rel=1e-3)
    seasonal = pool(per_year=730, mean_stay=4, years=2)
    seasonal["placement_types"]["remand"]["demand"]["seasonality"] = {"amplitude": 0.3, "peak_month": 3}
    load = erlang.offered_load(scenario_of(seasonal))
    assert load.average == pytest.approx(8.0, rel=0.01)
    assert 8.0 * 1.2 < load.peak < 8.0 * 1.3  # the M(t)/G/inf peak: smoothed by the stays, but close


def test_baseline_offered_load_matches_littles_law():
    """286 x 69 + 50 x 60 + 152 x 85.6 bed-days a year, less the high-security youths' share."""
    load = erlang.offered_load(overrides.load(BASELINE))
    expected = (286 * 69 * 0.93 + 50 * 60 * 0.95 + 152 * 85.6 * 0.93) / 365.25
    assert load.average == pytest.approx(expected, rel=1e-3)


def test_targets_are_parsed_and_checked():
    t = parse_target("p_wait_over_7_days[remand] <= 0.05")
    assert (t.metric, t.placement_type, t.scope, t.op, t.threshold) == (
        "p_wait_over_7_days",
        "remand",
        "national",
        "<=",
        0.05,
    )
    t = parse_target("wait_days_mean[all@Syddanmark]<2")
    assert t.key == ("wait_days_mean", "Syddanmark", "all") and t.op == "<"
    assert parse_target("utilisation >= 85%").threshold == pytest.approx(0.85)
    with pytest.raises(SizeError, match="expected METRIC"):
        parse_target("p_wait_over_7_days[remand] = 0.05")
    keys = (("p_wait_over_7_days", "national", "remand"),)
    with pytest.raises(SizeError, match="did you mean 'p_wait_over_7_days'"):
        check_target(parse_target("p_wait_over_7_day[remand] <= 0.05"), keys)
    with pytest.raises(SizeError, match="no placement type 'social'"):
        check_target(parse_target("p_wait_over_7_days[social] <= 0.05"), keys)


def test_judging_uses_the_one_sided_bound():
    target = parse_target("x <= 0.10")
    values = [0.05, 0.07, 0.06, 0.08, 0.04]
    mean, lo, hi, bound, n, status = judge(values, target, 0.95)
    assert status == "meets" and bound < 0.10 and lo < mean < bound < hi  # one-sided 95 % = two-sided 90 %
    assert judge([0.09, 0.12, 0.08, 0.11], target, 0.95)[-1] == "uncertain"
    assert judge([0.12, 0.13, 0.11, 0.12], target, 0.95)[-1] == "fails"


def test_national_lever_spreads_places_in_proportion_and_monotonically():
    base = overrides.load(BASELINE)
    lever = parse_lever("national_places", base)
    assert lever.total == 107 and lever.minimum == 10
    assert lever.places(107) == lever.current
    previous = None
    for total in range(60, 160):
        places = lever.places(total)
        assert sum(places) + 10 == total
        if previous is not None:
            assert all(b >= a for a, b in zip(previous, places))  # never takes a place when the total grows
        previous = places
    grown = dict(zip(lever.units, lever.places(107 + 97)))  # ordinary places doubled
    assert grown[("Sønderbro", "main")] == 36 and grown[("Egely", "ordinary")] == 28
    scenario = lever.apply(base, 120)
    assert scenario.institutions["Egely"].units["high_security"].places == 5
    assert sum(u.places for i in scenario.institutions.values() for u in i.units.values()) == 120
    assert sum(lever.by_institution(120).values()) == 120 and lever.by_institution(107)["Egely"] == 19
    with pytest.raises(SizeError, match="below the 10 high-security places"):
        lever.places(9)


def test_institution_lever_changes_only_that_institution():
    base = overrides.load(BASELINE)
    lever = parse_lever("institution:Egely", base)
    assert lever.total == 19 and lever.by_institution(25) == {"Egely": 25}
    scenario = lever.apply(base, 25)
    assert scenario.institutions["Egely"].units["ordinary"].places == 20
    assert scenario.institutions["Grenen"].units["ordinary"].places == 10
    with pytest.raises(SizeError, match="unknown institution"):
        parse_lever("institution:Nowhere", base)


@pytest.fixture(scope="module")
def sized(tmp_path_factory):
    """An M/M/c pool: 2 arrivals a day, 4-day exponential stays (8 erlangs), today 10 places."""
    folder = tmp_path_factory.mktemp("size")
    path = folder / "pool.yaml"
    path.write_text(yaml.safe_dump(pool(places=10, per_year=730, mean_stay=4, years=2, warmup_days=30)))
    out = folder / "out"
    args = ["size", str(path), "--target", "p_wait_over_1_day[remand] <= 0.1", "-n", "8", "--out", str(out), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def _values(folder, key):
    reps = pd.read_parquet(folder / "replications.parquet")
    reps = reps[reps.year.isna()]  # the whole window, not the calendar years
    rows = reps[(reps.metric == key[0]) & (reps.scope == key[1]) & (reps.placement_type == key[2])]
    return rows.sort_values("replication").value.to_numpy()


def test_sizing_answer_meets_the_target_and_one_place_fewer_does_not(sized):
    out, output = sized
    report = json.loads((out / "size.json").read_text())
    answer, fewer = report["answer"], report["one_fewer"]
    assert fewer == answer - 1
    key = ("p_wait_over_1_day", "national", "remand")
    # recomputed from the stored replications: the one-sided 95 % upper bound is within the target at the
    # answer, and not one place below it
    _, _, upper, _, n = t_interval(_values(out / f"places-{answer}", key), 0.90)
    assert n == 8 and upper <= 0.1
    _, _, upper_fewer, _, _ = t_interval(_values(out / f"places-{fewer}", key), 0.90)
    assert upper_fewer > 0.1
    # M/M/c theory: P(W > 1 day) is 0.116 with 11 places and 0.051 with 12
    assert answer in (11, 12, 13)
    assert f"answer: {answer} places" in output and "found by" in output


def test_size_outputs_say_how_the_answer_was_found(sized):
    out, _ = sized
    report = json.loads((out / "size.json").read_text())
    pre = report["prescreen"]
    assert pre["offered_load"] == pytest.approx(8.0, rel=1e-3) and pre["start"] == 12  # Erlang C
    assert "Erlang C" in pre["formula"] and "bracketed" in report["found_by"]
    assert "one-sided 95% upper" in report["rule"]
    table = pd.read_csv(out / "size.csv")
    assert list(table.columns) == [
        "places", "stage", "order", "mean", "ci_low", "ci_high", "bound", "n", "status", "folder", "reused",
        "institutions",
    ]  # fmt: skip
    assert set(table.stage) <= {"start", "bracket", "bisect"} and "start" in set(table.stage)
    assert len(table) == len(report["points"]) and table.places.is_monotonic_increasing
    assert (table.status[table.places >= report["answer"]] == "meets").all()


def test_size_refuses_an_unknown_metric_before_running(tmp_path):
    out = tmp_path / "out"
    args = ["size", str(BASELINE), "--target", "p_wait_over_7_dayz[remand] <= 0.05", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0 and "did you mean 'p_wait_over_7_days'" in result.output
    assert not out.exists()


def test_size_says_what_it_writes():
    result = CliRunner().invoke(main, ["size", "--help"])
    assert "Writes" in result.output and "size.json" in result.output
