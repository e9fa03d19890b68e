"""Bad input and faults: generated scenario files, extreme but legal scenarios, and a killed process.

Property-based tests (Hypothesis, derandomised so they never flake) generate scenario files: every invalid
one must be refused with a message that names the key and the problem, never a traceback; every valid one
must run.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.run.runner import run
from sim.run.worker import Experiment
from sim.scenario.loading import ScenarioError, load_scenario
from tests.helpers import BASELINE

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def small() -> dict:
    """A valid two-region scenario, short enough to run in milliseconds."""
    return {
        "name": "small",
        "horizon": {"start": "2025-01-01", "years": 0.5, "warmup_days": 30, "replications": 2, "seed": 3},
        "regions": ["North", "South"],
        "institutions": {
            "A": {"region": "North", "units": {"main": {"places": 3}}},
            "B": {"region": "South", "units": {"main": {"places": 2}, "hs": {"places": 1, "high_security": True}}},
        },
        "placement_types": {
            "remand": {
                "demand": {"per_year": 100, "regions": {"North": 0.6, "South": 0.4}, "high_security_share": 0.1},
                "stay": {"distribution": "lognormal", "mean": 10, "cv": 0.8},
            },
            "social": {
                "priority": 2,
                "demand": {"per_year": 40, "regions": {"North": 0.5, "South": 0.5}},
                "stay": {"distribution": "gamma", "mean": 20, "cv": 0.5},
                "withdrawal": {"distribution": "exponential", "mean": 5},
            },
        },
    }


def shares(names):
    return st.lists(st.integers(1, 10), min_size=len(names), max_size=len(names)).map(
        lambda w: {n: x / sum(w) for n, x in zip(names, w)}
    )


@st.composite
def valid_scenarios(draw):
    data = small()
    data["institutions"]["A"]["units"]["main"]["places"] = draw(st.integers(0, 8))
    data["institutions"]["B"]["units"]["main"]["places"] = draw(st.integers(0, 8))
    for t in ("remand", "social"):
        pt = data["placement_types"][t]
        pt["demand"]["per_year"] = draw(st.floats(0, 300))
        pt["demand"]["growth"] = draw(st.floats(-0.5, 0.5))
        pt["demand"]["dispersion"] = draw(st.floats(0, 1))
        pt["demand"]["regions"] = draw(shares(["North", "South"]))
        if draw(st.booleans()):
            pt["demand"]["seasonality"] = {"monthly": draw(st.lists(st.floats(0.1, 3), min_size=12, max_size=12))}
        dist = draw(st.sampled_from(["lognormal", "gamma", "weibull", "exponential", "empirical"]))
        stay = {"distribution": dist}
        if dist == "empirical":
            stay["observed"] = draw(st.lists(st.floats(0.5, 200), min_size=2, max_size=20))
        else:
            stay["mean"] = draw(st.floats(0.5, 200))
            if dist != "exponential":
                stay["cv"] = draw(st.floats(0.1, 3))
        pt["stay"] = stay
    return data


def _at(data, path):
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    return node, path[-1]


# (key path, bad value or marker, words the message must contain)
INVALID = [
    (("horizon", "yeras"), 3, "unknown key"),
    (("institutions", "A", "units", "main", "places"), -1, "greater than or equal to 0"),
    (("institutions", "A", "units", "main", "places"), 2.5, "whole number"),
    (("institutions", "A", "units", "main", "places"), "many", "whole number"),
    (("institutions", "A", "region"), "Atlantis", "unknown region"),
    (("placement_types", "detention"), "COPY", "unknown"),
    (("placement_types", "remand", "demand", "regions", "North"), 0.9, "sum to 1"),
    (("placement_types", "remand", "demand", "seasonality"), {"monthly": [1, 2, 3]}, "twelve"),
    (("placement_types", "remand", "stay", "distribution"), "normal", "unknown value"),
    (("placement_types", "remand", "stay", "cv"), None, "cv"),
    (("placement_types", "social", "demand", "per_year"), -5, "greater than or equal to 0"),
    (("horizon", "replications"), 1, "greater than or equal to 2"),
    (("horizon", "start"), "yesterday", "date"),
    (("allocation", "nearest"), {"North": ["Mars"]}, "unknown region"),
]


@SETTINGS
@given(valid_scenarios())
def test_every_valid_generated_scenario_runs(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("s") / "valid.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    scenario = load_scenario(path)
    result = run(scenario, progress=False)
    assert result.values.shape == (2, len(result.layout.keys))


@SETTINGS
@given(valid_scenarios(), st.sampled_from(INVALID))
def test_every_invalid_generated_scenario_is_refused_with_key_and_problem(tmp_path_factory, data, mutation):
    path_keys, value, words = mutation
    data = copy.deepcopy(data)
    node, key = _at(data, path_keys)
    if value == "COPY":
        value = copy.deepcopy(data["placement_types"]["remand"])
    if value is None:
        node.pop(key, None)
        data["placement_types"]["remand"]["stay"]["distribution"] = "gamma"
    else:
        node[key] = value
    path = tmp_path_factory.mktemp("s") / "invalid.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message
    assert words in message
    shown = ".".join(path_keys[:2])
    assert shown in message, message


@pytest.mark.parametrize(
    "change, check",
    [
        ({"institutions.A.units.main.places": 0}, lambda v: np.isnan(v[("utilisation", "A", "all")])),
        ({"placement_types.remand.demand.per_year": 0, "placement_types.social.demand.per_year": 0},
         lambda v: v[("occupancy_mean", "national", "all")] == 0),
        ({"institutions.A.units.main.places": 1, "institutions.B.units.main.places": 0,
          "institutions.B.units.hs.places": 0}, lambda v: v[("occupancy_mean", "national", "all")] <= 1),
        ({"placement_types.remand.stay.mean": 3652.5}, lambda v: v[("utilisation", "national", "all")] > 0.9),
        ({"horizon.years": 30}, lambda v: v[("arrivals_per_year", "national", "all")] > 100),
    ],
    ids=["zero-places", "zero-demand", "one-place", "very-long-stays", "thirty-years"],
)  # fmt: skip
def test_extreme_but_legal_scenarios_run_and_report_sensibly(write_yaml, change, check):
    data = small()
    for key, value in change.items():
        node, last = _at(data, key.split("."))
        node[last] = value
    exp = Experiment(load_scenario(write_yaml("x.yaml", data)))
    values, daily, *_ = exp.replicate(0)
    v = dict(zip(exp.layout.keys, values))
    assert check(v)
    assert np.all(daily >= 0)
    finite = [k for k, x in v.items() if np.isfinite(x)]
    assert all(v[k] >= 0 for k in finite)  # no negative counts, times or money


def _readable(folder: Path) -> None:
    """Every file in an output folder can be read whole (nothing half-written)."""
    for f in folder.rglob("*"):
        if f.is_dir():
            continue
        if f.suffix == ".parquet":
            pd.read_parquet(f)
        elif f.suffix == ".csv":
            pd.read_csv(f)
        elif f.suffix == ".json":
            json.loads(f.read_text())
        elif f.suffix == ".yaml":
            yaml.safe_load(f.read_text())
        elif f.suffix == ".npz":
            with np.load(f) as z:
                _ = z["values"], z["daily"]
        elif f.suffix == ".tmp":
            pytest.fail(f"temporary file left behind: {f}")


def test_killing_a_run_at_random_moments_never_leaves_a_corrupt_output(tmp_path):
    """SIGKILL (no chance to clean up) a real run at seeded random moments over an existing complete output.

    Afterwards the folder must hold either the previous complete run (its manifest matches its files) or a
    resumable partial one, every file must be readable, and the same command must finish the run.
    """
    out = tmp_path / "out"
    base = [sys.executable, "-m", "sim.cli", "run", str(BASELINE), "--out", str(out), "-q",
            "--set", "horizon.years=2", "--set", "horizon.warmup_days=60"]  # fmt: skip
    subprocess.run([*base, "-n", "8"], check=True, capture_output=True, timeout=120)
    previous = json.loads((out / "manifest.json").read_text())["scenario_sha256"]
    rng = np.random.default_rng(2024)
    for delay in rng.uniform(0.2, 3.0, size=3):
        proc = subprocess.Popen([*base, "-n", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # a .tmp file may be left by the killed writer; it is never mistaken for output
        for f in out.rglob("*.tmp"):
            f.unlink()
        _readable(out)
        manifest = out / "manifest.json"
        if manifest.exists():
            m = json.loads(manifest.read_text())
            summary = pd.read_csv(out / "summary.csv")
            assert summary.n.max() == m["replications"]  # the files belong to the manifest's run
            assert m["scenario_sha256"] in (previous, m["scenario_sha256"])
    done = subprocess.run([*base, "-n", "120"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _readable(out)
    assert json.loads((out / "manifest.json").read_text())["replications"] == 120


def test_a_scenario_name_cannot_write_outside_the_output_folder(tmp_path, write_yaml):
    from click.testing import CliRunner

    from sim.cli import main

    evil = write_yaml("evil.yaml", f"extends: {BASELINE}\nname: ../../escaped\nhorizon: {{years: 0.5}}\n")
    base = write_yaml("base.yaml", f"extends: {BASELINE}\nhorizon: {{years: 0.5}}\n")
    out = tmp_path / "deep" / "out"
    result = CliRunner().invoke(main, ["compare", str(base), str(evil), "-n", "2", "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    made = {p.resolve() for p in tmp_path.rglob("*")}
    assert all(
        p.is_relative_to(out.resolve()) or p in {out.parent.resolve(), out.resolve()} or p.suffix == ".yaml"
        for p in made
    )
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "deep" / "escaped").exists()
