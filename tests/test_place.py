"""kapsim place: where extra places go (issue 15). The selection procedure itself is checked on systems with
known means in test_selection.py; here the whole command on scenarios whose answer is plain."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.experiments.place import PlaceError, compositions, parse_objective, place
from tests.helpers import scenario_of


def two_regions(north: int = 3, south: int = 8, home_first: float = 3650.0) -> dict:
    """North's youths offer about 3 erlangs to 3 places of their own (starved), South's 2 to 8 (ample); with a
    home-first window of ten years every youth waits for a place in its own region."""
    return {
        "name": "two-regions",
        "horizon": {"start": "2025-01-01", "years": 3, "warmup_days": 60, "replications": 4, "seed": 11},
        "regions": ["North", "South"],
        "institutions": {
            "N1": {"region": "North", "units": {"main": {"places": north}}},
            "S1": {"region": "South", "units": {"main": {"places": south // 2}}},
            "S2": {"region": "South", "units": {"main": {"places": south - south // 2}}},
        },
        "placement_types": {
            "remand": {
                "demand": {"per_year": 365 * 1.0, "regions": {"North": 0.6, "South": 0.4}},
                "stay": {"distribution": "exponential", "mean": 5.0},
            },
        },
        "allocation": {
            "nearest": {"North": ["South"], "South": ["North"]},
            "home_first_days": {"remand": home_first},
        },
    }


def test_compositions_are_every_way_of_sharing_the_steps():
    shares = compositions(3, 4)
    assert len(shares) == 20 == len(set(shares))  # C(3 + 4 - 1, 3)
    assert all(sum(s) == 3 and min(s) >= 0 for s in shares)


def test_the_places_go_to_the_starved_region():
    """North waits (3 erlangs on 3 places), South does not: 4 places in steps of 2 belong in North. The
    difference is days, the zone 0.05 days: the selection must find it, whatever the screen says."""
    base = scenario_of(two_regions())
    result = place(base, parse_objective("wait_days_mean", base), 4, 2, "institutions", delta=0.05, progress=False)
    assert result.decided and result.answer == {"N1": 4}
    by_scope = {(e["scope"], e["metric"]): e for e in result.effects}
    north, south = by_scope[("North", "wait_days_mean")], by_scope[("South", "wait_days_mean")]
    assert north["ci_high"] < -1.0  # North's waits fall by days
    assert abs(south["difference"]) < 0.05  # South's barely move: its youths wait for their own places
    statuses = {c.status for c in result.candidates}
    assert "selected" in statuses and statuses <= {"selected", "eliminated", "equivalent", "screened out"}


def test_serial_and_parallel_give_the_same_answer():
    base = scenario_of(two_regions())
    target = parse_objective("p_wait_over_1_day[remand@North]", base)
    runs = [place(base, target, 4, 2, "regions", delta=0.01, workers=w, progress=False) for w in (1, 2)]
    assert runs[0].answer == runs[1].answer == {"North": 4}
    assert [c.mean for c in runs[0].candidates if c.replications] == [
        c.mean for c in runs[1].candidates if c.replications
    ]


def test_the_command_writes_its_files_and_says_when_it_cannot_decide(tmp_path):
    """Two equally loaded regions with 3 places each for 5 erlangs and a home-first window of 2 days, a zone of
    0.0001 days and at most 12 replications: the allocations cannot be told apart, and the command says so
    with exit code 1, after writing what it found."""
    data = two_regions(north=3, south=4, home_first=2.0)
    data["placement_types"]["remand"]["demand"]["regions"] = {"North": 0.5, "South": 0.5}
    data["institutions"]["S2"]["units"]["main"]["places"] = 1
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    args = ["place", str(path), "--add", "2", "--target", "wait_days_mean", "--over", "regions", "--delta", "0.0001",
            "--first-stage", "10", "--max-replications", "12", "-q", "-o", str(out), "--lang", "da"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "no allocation is distinguishable" in result.output
    written = json.loads((out / "place.json").read_text(encoding="utf-8"))
    assert written["answer"] is None and written["decided"] is False and written["pcs"] == 0.95
    assert {"candidates", "objective", "regional_effects"} <= set(written)
    assert (out / "place.csv").is_file() and "Svaret" in (out / "place.html").read_text(encoding="utf-8")
    again = CliRunner().invoke(main, ["report", str(out)])  # the page again, from place.json alone
    assert again.exit_code == 0 and "The answer" in (out / "place.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--add", "5", "--step", "2"], "--add 5: not a multiple of --step 2"),
        (["--add", "4", "--over", "towns"], "--over towns: expected one of institutions, regions"),
        (["--add", "4", "--target", "wait_days_mean[all@Mars]"], "scope 'Mars' is neither a region"),
        (["--add", "4", "--target", "wait_dayz_mean"], "unknown metric 'wait_dayz_mean'"),
        (["--add", "4", "--target", "wait_days_mean[custody]"], "has no placement type 'custody'"),
        (["--add", "4", "--delta", "0"], "--delta 0.0: the indifference zone must be above 0"),
    ],
)
def test_bad_questions_are_refused_before_anything_runs(tmp_path, extra, message):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(two_regions(), allow_unicode=True), encoding="utf-8")
    args = ["place", str(path), "--target", "wait_days_mean", "--delta", "0.1", "-o", str(tmp_path / "out"), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_place_error_names_the_option():
    base = scenario_of(two_regions())
    with pytest.raises(PlaceError, match="--target 'wait_days_mean\\[all@S9\\]'"):
        parse_objective("wait_days_mean[all@S9]", base)


def test_compare_by_region_shows_where_the_places_help(tmp_path):
    """Four more places in the starved North, home-first: the paired difference in North's mean wait is
    clearly negative, South's about zero; comparison.html draws the differences by region."""
    base, more = two_regions(), two_regions(north=7)
    paths = []
    for name, data in (("base", base), ("north", more)):
        data["name"] = name
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "cmp"
    args = ["compare", *map(str, paths), "-n", "6", "-q", "-o", str(out), "--by-region"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("  Wait of remanded youths (days), by region")
    north, south = lines[start + 1], lines[start + 2]
    assert north.split()[0] == "North" and south.split()[0] == "South"
    diff = lambda line: float(line.split("(")[1].split(",")[0])  # noqa: E731
    assert diff(north) < -1.0 and abs(diff(south)) < 0.1, (north, south)
    html = (out / "comparison.html").read_text(encoding="utf-8")
    assert 'id="chart-regions"' in html and ("Differences by region" in html)


def test_place_never_overwrites_a_file_it_did_not_write(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(two_regions(), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "place.json").write_text("my own notes", encoding="utf-8")
    args = ["place", str(path), "--add", "2", "--target", "wait_days_mean", "--delta", "0.1", "-q", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and str(out) in result.output, result.output
    assert (out / "place.json").read_text(encoding="utf-8") == "my own notes"
