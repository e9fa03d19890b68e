"""Every input is refused or run, never a traceback (issue 18): generated scenario files, a corpus of bad files
kept in tests/corpus, bad options, and the ranges docs/reliability.md states.

The rule for every bad input: exit code 1 or 2, a message naming the file (or the option) and the problem, no
traceback, nothing written. Hypothesis is derandomised, so the generated files are the same on every run.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario import limits
from sim.scenario.loading import ScenarioError, load_scenario
from tests.helpers import BASELINE, ROOT
from tests.test_robustness import small

CORPUS_DIR = Path(__file__).parent / "corpus"
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

# file in tests/corpus -> words its message must hold
CORPUS = {
    "billion-laughs.yaml": "too large",
    "binary.yaml": "not a text file",
    "change-after-the-end.yaml": "after the run ends",
    "change-before-the-run.yaml": "before the run begins",
    "changes-out-of-order.yaml": "date order",
    "deep-list.yaml": "nested too deeply",
    "demand-1e300.yaml": "out of range",
    "demand-nan.yaml": "must be a finite number, got nan",
    "duplicate-institution.yaml": "duplicate key 'Egely' (first given at line 3)",
    "extends-loop-a.yaml": "loop of 'extends'",
    "extends-loop-b.yaml": "loop of 'extends'",
    "growth-overflow.yaml": "the demand reaches",
    "horizon-tiny.yaml": "horizon.years: 0.001 is out of range",
    "impossible-date.yaml": "horizon.start: input should be a valid date",
    "negative-places.yaml": "greater than or equal to 0",
    "not-a-mapping.yaml": "must be a mapping",
    "recursive-alias.yaml": "nested too deeply",
    "replications-billion.yaml": "horizon.replications: 1,000,000,000 is out of range",
    "start-year-9999.yaml": "horizon.start: 9999-01-01 is out of range",
    "stay-infinite.yaml": "must be a finite number, got inf",
    "typo.yaml": "did you mean 'per_year'",
}
DATA_CORPUS = {"empty.csv": "empty file", "binary.csv": "not a readable CSV file", "header-only.csv": "no rows"}


def invoke(args: list[str]):
    return CliRunner().invoke(main, args)


def assert_refused(result, *words: str) -> None:
    """Exit 1 or 2 with the words in the message, and no traceback (CliRunner keeps any other exception)."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, (w, result.output)


def assert_run_refused(tmp_path: Path, scenario: Path | str, *words: str, extra: tuple[str, ...] = ()) -> None:
    """``kapsim validate`` and ``kapsim run`` both refuse it, and the run writes nothing."""
    assert_refused(invoke(["validate", str(scenario), *extra]), *words)
    out = tmp_path / "out"
    assert_refused(invoke(["run", str(scenario), "-n", "2", "-q", "--out", str(out), *extra]), *words)
    assert not out.exists()


# --- the corpus ------------------------------------------------------------------------------------------


def test_the_corpus_is_listed_whole():
    files = {p.name for p in CORPUS_DIR.iterdir()} - {"README.md"}
    assert files == set(CORPUS) | set(DATA_CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_file_is_refused_by_name(tmp_path, name):
    path = CORPUS_DIR / name
    assert_run_refused(tmp_path, path, path.stem, CORPUS[name])


@pytest.mark.parametrize("name", sorted(DATA_CORPUS))
def test_every_bad_data_file_is_refused_by_name(tmp_path, name):
    path = CORPUS_DIR / name
    out = tmp_path / "out"
    assert_refused(
        invoke(["run", str(BASELINE), "-n", "2", "-q", "--out", str(out), "--observed", str(path)]),
        name,
        DATA_CORPUS[name],
    )
    assert_refused(invoke(["calibrate", str(BASELINE), "--episodes", str(path), "--out", str(out)]), name)
    assert_refused(invoke(["report", str(ROOT / "scenarios"), "--observed", str(path)]), name)
    assert not out.exists()


# --- options ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, words",
    [
        (["--set", "horizon.start=2025-02-31"], ["--set horizon.start=2025-02-31", "valid date"]),
        (["--set", "institutions.Egely.unitz.main.places=2"], ["--set institutions.Egely.unitz", "unknown key"]),
        (["--set", "horizon.yeras=2"], ["--set horizon.yeras=2", "did you mean 'years'"]),
        (["--set", "placement_types.remand.demand.growth=0.9"], ["--set placement_types", "the demand reaches"]),
        (["--set", "placement_types.remand.demand.per_year=.nan"], ["--set", "finite"]),
        (["--set", "horizon={years: 1, years: 2}"], ["--set", "duplicate key 'years'"]),
        (["--set", "horizon.years=" + "[" * 40 + "]" * 40], ["--set", "nested too deeply"]),
        (["--replications", "1000000000"], ["--replications: horizon.replications", "out of range"]),
        (["--seed", str(10**30)], ["--seed: horizon.seed", "out of range"]),
    ],
    ids=["date", "unknown-key", "typo", "growth", "nan", "duplicate", "deep", "replications", "seed"],
)
def test_bad_options_are_blamed_on_the_option(tmp_path, options, words):
    out = tmp_path / "out"
    assert_refused(invoke(["run", str(BASELINE), "-q", "--out", str(out), *options]), *words)
    assert not out.exists()


def test_a_run_too_big_for_the_machine_is_refused_before_it_starts(tmp_path):
    out = tmp_path / "out"
    result = invoke(["run", str(BASELINE), "-n", "100000", "-q", "--out", str(out)])
    assert_refused(result, "would take about", "give --force")
    assert not out.exists()
    long = invoke(["run", str(BASELINE), "-n", "100000", "-q", "--out", str(out), "--set", "horizon.years=100"])
    assert_refused(long, "hours", "GB")


@pytest.mark.parametrize("where", ["/proc/kapsim-test", "/sys/kapsim-test", "FILE/below"])
def test_an_output_folder_that_cannot_be_made_is_refused_by_name(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("mine\n")
    target = where.replace("FILE", str(blocker))
    result = invoke(["run", str(BASELINE), "-n", "2", "-q", "--set", "horizon.years=0.2", "--out", target])
    assert_refused(result, "cannot create the output folder", target)
    assert blocker.read_text() == "mine\n"


# --- generated scenario files ----------------------------------------------------------------------------


def numeric_paths(node, path=()):
    """Key paths of every number in scenario data (list positions as ints)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from numeric_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from numeric_paths(v, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path


def mapping_paths(node, path=()):
    if isinstance(node, dict):
        yield path
        for k, v in node.items():
            yield from mapping_paths(v, (*path, k))


def put(data, path, value):
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def shown(path) -> str:
    """The first two keys of a path, as a message shows them."""
    return ".".join(str(p) for p in path[:2])


BAD_NUMBERS = [math.nan, math.inf, -math.inf, 1e300, -1e300, "many", [1, 2], {"a": 1}]
BAD_DATES = ["2025-02-31", "2025-13-01", "2025-00-10", "1800-01-01", "9999-12-31", "yesterday", 20250101.5]
NUMBERS = list(numeric_paths(small()))
MAPPINGS = [p for p in mapping_paths(small()) if p]


@st.composite
def bad_values(draw):
    """(data, key path the message must name) of small() with one number, date or part of its structure wrong."""
    data = small()
    kind = draw(st.sampled_from(["number", "date", "change-date", "order", "structure", "deep", "unknown"]))
    if kind == "number":
        path = draw(st.sampled_from(NUMBERS))
        put(data, path, draw(st.sampled_from(BAD_NUMBERS)))
    elif kind == "date":
        path = ("horizon", "start")
        put(data, path, draw(st.sampled_from(BAD_DATES)))
    elif kind in ("change-date", "order"):
        path = ("institutions", "A", "units", "main", "changes")
        if kind == "order":
            first, second = draw(st.sampled_from([("2025-03-01", "2025-02-01"), ("2025-03-01", "2025-03-01")]))
        else:
            first, second = "2025-02-01", draw(st.sampled_from(["2025-02-30", "2026-01-01", "2024-01-01"]))
        put(data, path, [{"date": first, "add": 1}, {"date": second, "add": -1}])
    elif kind == "structure":
        path = draw(st.sampled_from(MAPPINGS))
        put(data, path, draw(st.sampled_from([[1, 2], "text", 7, True])))
    elif kind == "deep":
        path = draw(st.sampled_from(MAPPINGS))
        deep: list = []
        for _ in range(draw(st.integers(30, 200))):
            deep = [deep]
        put(data, path, deep)
    else:
        path = draw(st.sampled_from(MAPPINGS))
        node = data
        for k in path:
            node = node[k]
        node[draw(st.sampled_from(["extra", "pleces", "per_yaer", "mean_stay"]))] = 1
    return data, path


@SETTINGS
@given(bad_values())
def test_every_generated_bad_scenario_is_refused_naming_file_and_key(tmp_path_factory, case):
    data, path = case
    folder = tmp_path_factory.mktemp("bad")
    scenario = folder / "bad.yaml"
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert_run_refused(folder, scenario, str(scenario))
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    text = str(info.value)
    assert shown(path) in text or "nested too deeply" in text or path == (), text


@st.composite
def duplicated_keys(draw):
    """small() as YAML text with one line of a mapping given twice (a key and its value, or a key whose value
    is the block below it)."""
    lines = yaml.safe_dump(small(), default_flow_style=False).splitlines()
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w-]+:", line)]
    i = draw(st.sampled_from(keyed))
    return "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]) + "\n", i + 2


@SETTINGS
@given(duplicated_keys())
def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path_factory, case):
    text, line = case
    folder = tmp_path_factory.mktemp("dup")
    scenario = folder / "twice.yaml"
    scenario.write_text(text, encoding="utf-8")
    assert_run_refused(folder, scenario, str(scenario), "duplicate key", f"line {line}", f"line {line - 1}")


@SETTINGS
@given(st.binary(min_size=1, max_size=400) | st.text(max_size=400))
def test_any_bytes_as_a_scenario_are_refused_not_raised(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("junk")
    scenario = folder / "junk.yaml"
    scenario.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert_refused(invoke(["validate", str(scenario)]), str(scenario))


@settings(SETTINGS, max_examples=30)
@given(
    st.sampled_from(NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**40), max_value=10**40),
)
def test_any_number_anywhere_is_refused_or_runs(tmp_path_factory, path, value):
    """Any number at any numeric key: refused with a message, or a scenario that runs."""
    data = copy.deepcopy(small())
    put(data, path, value)
    folder = tmp_path_factory.mktemp("any")
    scenario = folder / "any.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = folder / "out"
    result = invoke(["run", str(scenario), "-q", "--out", str(out)])
    if result.exit_code == 0:
        assert (out / "manifest.json").is_file()
    else:
        assert_refused(result, str(scenario))
        assert not out.exists()


# --- the ranges, as documented -----------------------------------------------------------------------------


def test_every_range_is_documented_with_its_reason():
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for keys, span, why in limits.table():
        assert f"| `{keys.split(', ')[0]}`" in page or keys.split(", ")[0] in page, keys
        assert span in page, (keys, span)
        assert why in page, (keys, why)


def test_the_shipped_scenarios_lie_inside_every_range():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        load_scenario(path)  # raises ScenarioError if not
