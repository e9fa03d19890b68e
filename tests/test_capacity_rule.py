"""The adaptive capacity rule: reviews on their dates only, decisions by their thresholds, no eviction, the
reference model's identical records, and refusal of rules that cannot work."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.engine.capacity_rule import ADD_QUEUE, ADD_UTILISATION, KEPT, REMOVE
from sim.run.worker import Experiment
from sim.scenario.loading import ScenarioError, load_scenario, with_horizon
from tests.helpers import ROOT, scenario_of
from tests.test_policies import check_capacity_and_conservation
from tests.test_reference import check

PLANNING = ROOT / "scenarios" / "planning-cycle.yaml"


def busy_pool(**rule) -> dict:
    """One institution of 6 places, demand that doubles for a year in the middle, and a quarterly rule."""
    data = {
        "name": "rule",
        "horizon": {"start": "2025-01-01", "years": 3, "warmup_days": 60, "replications": 3, "seed": 5},
        "regions": ["R"],
        "institutions": {"A": {"region": "R", "units": {"main": {"places": 6}}}},
        "placement_types": {
            "remand": {
                "demand": {
                    "per_year": 365 * 1.0,
                    "regions": {"R": 1.0},
                    "changes": [{"date": "2025-10-01", "factor": 1.8}, {"date": "2026-10-01", "factor": 0.7}],
                },
                "stay": {"distribution": "exponential", "mean": 5.0},
            }
        },
        "capacity_rule": {
            "review_months": 3,
            "look_back_days": 60,
            "lead_days": 30,
            "step": 2,
            "min_places": 4,
            "max_places": 14,
            "add_above": {"queue_length_mean": 1.0, "utilisation": 0.9},
            "remove_below": {"queue_length_mean": 0.2, "utilisation": 0.7},
            **rule,
        },
    }
    return data


def independent_measures(rec, lo: float, hi: float, unit: int) -> tuple[float, float]:
    """Mean waiting list and utilisation of ``unit`` over [lo, hi), from the final records, written here apart
    from the model's: a youth's wait from arrival to admission or withdrawal, its stay from admission to
    departure (no moves in this scenario), the open places from the log."""
    placed = rec.unit >= 0
    end_wait = np.where(placed, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    waiting = np.clip(np.minimum(end_wait, hi) - np.maximum(rec.youths.arrival, lo), 0, None).sum() / (hi - lo)
    left = np.where(np.isnan(rec.left), np.inf, rec.left)
    inside = placed & (rec.unit == unit)
    occupied = np.clip(np.minimum(left[inside], hi) - np.maximum(rec.admitted[inside], lo), 0, None).sum()
    log = rec.open_log[rec.open_log[:, 1] == unit]
    edges = np.clip(np.append(log[:, 0], hi), lo, hi)
    return waiting, occupied / np.sum(log[:, 2] * np.diff(edges))


@pytest.fixture(scope="module")
def runs():
    exp = Experiment(scenario_of(busy_pool()))
    return exp, [exp.records(r) for r in range(3)]


def test_reviews_happen_on_their_dates_and_places_change_only_then(runs):
    """Every quarter from the start date (the last review on 1 January 2028, the run's last day); the places
    rise only when an addition opens, 30 days after its review, and fall only at a removal's review or as a
    closing place's youth leaves."""
    exp, recs = runs
    rule = exp.network.capacity_rule
    dates = pd.date_range("2025-04-01", "2028-01-01", freq="QS").date
    assert rule.review_days == tuple(exp.clock.day_of(d) for d in dates)
    for rec in recs:
        assert tuple(rec.decisions[:, 0]) == rule.review_days
        added = rec.decisions[rec.decisions[:, 1] > 0, 0]
        removed = rec.decisions[rec.decisions[:, 1] < 0, 0]
        assert len(added) >= 2 and len(removed) >= 1, "the wave should make the rule add and then remove"
        log = rec.open_log[rec.open_log[:, 1] == 0]
        step = np.diff(log[:, 2])
        assert set(log[1:][step > 0, 0]) <= set(added + 30.0)
        assert set(log[1:][step < 0, 0]) <= set(removed) | set(rec.left[~np.isnan(rec.left)])


def test_every_decision_follows_the_thresholds(runs):
    """Recomputed from the final records with code of its own: add when the waiting list or the utilisation
    of the look-back is above its threshold, remove when both are below theirs, keep otherwise; within the
    bounds (4 to 14 places, 2 at a time)."""
    exp, recs = runs
    for rec in recs:
        for day, action, before, after, reason in rec.decisions:
            queue, util = independent_measures(rec, max(day - 60, 0.0), day, 0)
            if queue > 1.0 or util > 0.9:
                assert action == 1 or after == 14, (day, queue, util)
                assert reason in (ADD_QUEUE, ADD_UTILISATION) or after == 14
            elif queue < 0.2 and util < 0.7:
                assert action == -1 or after == 4, (day, queue, util)
                assert reason == REMOVE or after == 4
            else:
                assert action == 0 and reason == KEPT, (day, queue, util)
            assert 4 <= after <= 14 and abs(after - before) in (0, 1, 2)


def test_the_rule_never_evicts_and_conserves_youths(runs):
    exp, recs = runs
    for rec in recs:
        check_capacity_and_conservation(exp, rec)


def test_the_reference_model_gives_identical_records_with_the_rule():
    check(Experiment(scenario_of(busy_pool())), range(3))
    check(Experiment(scenario_of(busy_pool(lead_days=0, review_months=1, look_back_days=30))), range(3))
    s = load_scenario(PLANNING)
    recs = check(Experiment(with_horizon(s, years=5)), range(2))
    assert all((r.decisions[:, 1] > 0).any() for r in recs)


def test_the_run_writes_its_decisions(tmp_path):
    out = tmp_path / "pc"
    result = CliRunner().invoke(main, ["run", str(PLANNING), "-n", "3", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    d = pd.read_csv(out / "decisions.csv")
    assert list(d.columns) == ["replication", "date", "action", "places_before", "places_after", "reason"]
    assert sorted(d.replication.unique()) == [0, 1, 2] and set(d.action) <= {"add", "remove", "keep"}
    assert (d.date.str.endswith("-01-01")).all() and "waiting list above threshold" in set(d.reason)
    summary = pd.read_csv(out / "summary.csv").set_index(["metric", "scope", "placement_type"])["mean"]
    adds = d[d.action == "add"]
    years = json.loads((out / "manifest.json").read_text())["observed_days"] / 365.25
    added = (adds.places_after - adds.places_before).sum() / 3 / years  # per replication, per year
    assert summary[("rule_places_added_per_year", "national", "all")] == pytest.approx(added)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_places": 20, "max_places": 10}, "min_places 20 is above max_places 10"),
        ({"remove_below": {"utilisation": 0.95, "queue_length_mean": 0.2}}, "remove_below.utilisation 0.95"),
        ({"remove_below": {"utilisation": 0.5}}, "remove_below.queue_length_mean is missing"),
        ({"review_months": 0}, "review_months"),
        ({"institutions": ["Nowhere"]}, "unknown institution 'Nowhere'"),
        ({"add_above": {}, "remove_below": {}}, "the rule would never act"),
    ],
)
def test_rules_that_cannot_work_are_refused(change, message, write_yaml):
    data = busy_pool(**change)
    with pytest.raises(ScenarioError) as err:
        load_scenario(write_yaml("bad.yaml", data))
    assert message in str(err.value) and "capacity_rule" in str(err.value)


def test_the_report_draws_the_decisions_against_occupancy(tmp_path):
    from sim.report import write_report
    from sim.report.data import load
    from sim.report.labels import Labels
    from sim.report.rule import rule_figure

    out = tmp_path / "pc"
    args = ["run", str(PLANNING), "-n", "3", "-o", str(out), "-q", "--set", "horizon.years=5"]
    assert CliRunner().invoke(main, args).exit_code == 0
    data = load(out)
    fig = rule_figure(data.decisions, data.timeseries, Labels("en"))
    bars = [t for t in fig.data if t.type == "bar"]
    added = data.decisions[data.decisions.action == "add"].groupby("date").size() / 3 * 100
    assert len(bars) == 2 and max(bars[0].y) == pytest.approx(added.max())
    for lang, word in (("en", "The capacity rule"), ("da", "Kapacitetsreglen")):
        html = write_report(out, lang).read_text(encoding="utf-8")
        assert 'id="rule"' in html and 'id="chart-rule"' in html and word in html
