"""Scenario files: merging, overrides, and a clear refusal of every kind of bad input."""

from __future__ import annotations

import pytest
import yaml

from sim.scenario.loading import ScenarioError, load_scenario
from tests.helpers import BASELINE


def baseline_data() -> dict:
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def refused(path, *overrides) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return str(info.value)


def test_baseline_loads_with_eight_institutions_and_107_places():
    s = load_scenario(BASELINE)
    assert len(s.institutions) == 8
    assert sum(u.places for i in s.institutions.values() for u in i.units.values()) == 107
    assert sum(u.places for i in s.institutions.values() for u in i.units.values() if u.high_security) == 10


def test_extends_overrides_only_what_changes(write_yaml):
    child = write_yaml(
        "child.yaml", f"extends: {BASELINE}\nplacement_types:\n  social:\n    demand:\n      per_year: 200\n"
    )
    s = load_scenario(child)
    assert s.placement_types["social"].demand.per_year == 200
    # siblings of the changed key are inherited, not lost
    assert (
        s.placement_types["social"].demand.regions == load_scenario(BASELINE).placement_types["social"].demand.regions
    )
    assert s.placement_types["social"].stay.mean == 85.6


def test_set_overrides_by_dotted_path():
    s = load_scenario(BASELINE, ["placement_types.social.demand.per_year=180", "horizon.years=5"])
    assert s.placement_types["social"].demand.per_year == 180
    assert s.horizon.years == 5


@pytest.mark.parametrize(
    "edit, key, problem",
    [
        (
            lambda d: d["placement_types"]["social"]["demand"].update(per_yaer=1),
            "placement_types.social.demand.per_yaer",
            "did you mean 'per_year'",
        ),
        (
            lambda d: d["institutions"]["Egely"]["units"]["ordinary"].update(places=-2),
            "institutions.Egely.units.ordinary.places",
            "greater than or equal to 0",
        ),
        (
            lambda d: d["institutions"]["Egely"]["units"]["ordinary"].update(places=12.5),
            "institutions.Egely.units.ordinary.places",
            "whole number",
        ),
        (
            lambda d: d["placement_types"].update(detention=d["placement_types"]["remand"]),
            "placement_types.detention",
            "unknown",
        ),
        (
            lambda d: d["institutions"]["Koglen"].update(region="Bornholm"),
            "institutions.Koglen.region",
            "unknown region 'Bornholm'",
        ),
        (
            lambda d: d["placement_types"]["remand"]["demand"]["regions"].update(Nordjylland=0.5),
            "placement_types.remand.demand",
            "sum to 1",
        ),
        (
            lambda d: d["placement_types"]["remand"]["demand"].update(seasonality={"monthly": [1] * 11}),
            "placement_types.remand.demand.seasonality",
            "twelve factors",
        ),
        (
            lambda d: d["institutions"]["Koglen"]["units"]["main"].update(accepts=["remand", "prison"]),
            "institutions.Koglen.units.main.accepts",
            "unknown value 'prison'",
        ),
    ],
)
def test_bad_input_names_file_key_and_problem(write_yaml, edit, key, problem):
    data = baseline_data()
    edit(data)
    path = write_yaml("bad.yaml", data)
    message = refused(path)
    assert str(path) in message
    assert key in message
    assert problem in message


def test_error_in_child_names_the_child_file(write_yaml):
    child = write_yaml("child.yaml", f"extends: {BASELINE}\nhorizon:\n  yeras: 5\n")
    message = refused(child)
    assert "child.yaml: horizon.yeras: unknown key (did you mean 'years'?)" in message


def test_unknown_extends_target_is_refused(write_yaml):
    child = write_yaml("child.yaml", "extends: nowhere.yaml\n")
    message = refused(child)
    assert "child.yaml: extends: unknown scenario 'nowhere.yaml'" in message


def test_extends_loop_is_refused(write_yaml):
    write_yaml("a.yaml", "extends: b.yaml\n")
    b = write_yaml("b.yaml", "extends: a.yaml\n")
    assert "loop of 'extends'" in refused(b)


def test_set_override_is_validated_like_the_file():
    message = refused(BASELINE, "institutions.Egely.units.ordinary.places=-1")
    assert "--set institutions.Egely.units.ordinary.places=-1: institutions.Egely.units.ordinary.places" in message


def test_yaml_is_read_with_the_safe_loader(write_yaml):
    path = write_yaml("evil.yaml", "name: !!python/object/apply:os.system ['echo pwned']\n")
    assert "not valid YAML" in refused(path)


def test_all_problems_are_reported_together(write_yaml):
    data = baseline_data()
    data["institutions"]["Egely"]["units"]["ordinary"]["places"] = -2
    data["horizon"]["yeras"] = 3
    message = refused(write_yaml("bad.yaml", data))
    assert "places" in message and "yeras" in message


def test_capacity_change_below_zero_is_refused(write_yaml):
    data = baseline_data()
    data["institutions"]["Koglen"]["units"]["main"]["changes"] = [{"date": "2026-01-01", "add": -11}]
    assert "below zero" in refused(write_yaml("bad.yaml", data))


def test_set_accepts_an_institutions_total_places():
    s = load_scenario(BASELINE, ["institutions.Egely.places=21"])
    units = s.institutions["Egely"].units
    assert units["ordinary"].places == 16 and units["high_security"].places == 5  # high security kept
    message = refused(BASELINE, "institutions.Egelyy.places=21")
    assert "--set institutions.Egelyy.places=21: institutions.Egelyy.places: unknown institution" in message
    assert "did you mean 'Egely'" in message
    assert "fewer than Egely's 5 high-security places" in refused(BASELINE, "institutions.Egely.places=3")
