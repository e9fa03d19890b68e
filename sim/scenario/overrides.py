"""Overrides of a loaded scenario for the experiments: ``--set`` and ``--vary`` applied to a Scenario.

Values are named by key path as in ``kapsim run``, including its shorthand for an institution's total
places (``institutions.NAME.places=N``, see :func:`sim.scenario.loading.expand_override`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.scenario.loading import (
    ScenarioError,
    apply_override,
    load_scenario,
    parse_override,
    resolved_dict,
    validate_data,
    with_horizon,
)
from sim.scenario.schema import Scenario

Assignment = tuple[list[str], Any, str]  # (key path, value, label naming where it came from)


def apply(data: dict[str, Any], assignments: Iterable[Assignment], origin: dict[str, str]) -> None:
    """Apply overrides in order to scenario ``data`` (in place), expanding the institution shorthand."""
    for keys, value, label in assignments:
        apply_override(data, keys, copy.deepcopy(value), origin, label)


def parse(texts: Iterable[str], flag: str = "--set") -> list[Assignment]:
    """``KEY.PATH=VALUE`` strings (values read as YAML) as assignments labelled by the flag."""
    out = []
    for text in texts:
        try:
            keys, value = parse_override(text)
        except ScenarioError as exc:
            raise ScenarioError([p.replace("--set", flag, 1) for p in exc.problems]) from None
        out.append((keys, value, f"{flag} {text}"))
    return out


def derive(
    scenario: Scenario, assignments: Iterable[Assignment], source: str = "command line", dates: bool = False
) -> Scenario:
    """A validated copy of ``scenario`` with the overrides applied; ScenarioError names key and override.

    With ``dates`` the planned changes must also lie in date order within the run (:mod:`sim.scenario.limits`),
    as in a file: for what a user gives, not for the scenarios an experiment derives from it."""
    data = resolved_dict(scenario)
    origin: dict[str, str] = {}
    apply(data, assignments, origin)
    return validate_data(data, origin, source, dates=dates)


def load(
    path: str | Path, overrides: Iterable[str] = (), replications: int | None = None, seed: int | None = None
) -> Scenario:
    """Load a scenario file (``extends`` resolved), apply ``--set`` overrides with the shorthand, then the
    ``--replications`` and ``--seed`` options if given."""
    assignments = parse(overrides)
    scenario = derive(load_scenario(path), assignments, str(path), dates=True) if assignments else load_scenario(path)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    return with_horizon(scenario, **changes) if changes else scenario
