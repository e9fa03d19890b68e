"""Overrides of a loaded scenario for the experiments, with one shorthand: an institution's total places.

``--set`` and ``--vary`` name a value by its key path, as in ``kapsim run``. Places belong to units, but a
planner thinks of an institution's places (Egely has 19: 14 ordinary and 5 high-security), so the
experiments accept ``institutions.NAME.places=N`` and rewrite it before validation:

- N is the institution's *total*; the high-security units keep their places and the one ordinary unit
  gets ``N - high-security places``: ``institutions.Egely.places=21`` sets ``units.ordinary.places`` to 16;
- with several ordinary units, or none, or N below the high-security places, the override is refused
  with a message saying which unit keys to set instead.

Only the unit's starting places change; its planned ``changes`` still apply on their dates.

>>> data = {"institutions": {"E": {"units": {"o": {"places": 14}, "hs": {"places": 5, "high_security": True}}}}}
>>> expand(data, ["institutions", "E", "places"], 21)
[(['institutions', 'E', 'units', 'o', 'places'], 16)]
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.scenario import (
    ScenarioError,
    apply_override,
    load_scenario,
    parse_override,
    resolved_dict,
    validate_data,
    with_horizon,
)
from sim.schema import Scenario

Assignment = tuple[list[str], Any, str]  # (key path, value, label naming where it came from)


def expand(data: dict[str, Any], keys: list[str], value: Any) -> list[tuple[list[str], Any]]:
    """The overrides that ``keys = value`` stands for (itself, unless it is the institution shorthand)."""
    if len(keys) != 3 or keys[0] != "institutions" or keys[2] != "places":
        return [(keys, value)]
    name = keys[1]
    where = f"institutions.{name}.places"
    institutions = data.get("institutions") or {}
    if name not in institutions:
        guess = difflib.get_close_matches(name, list(institutions), n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else f" (institutions: {', '.join(institutions)})"
        raise ScenarioError([f"{where}: unknown institution '{name}'{hint}"])
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError([f"{where}: the total places must be a whole number, got {value!r}"])
    units = institutions[name].get("units") or {}
    ordinary = [u for u, spec in units.items() if not spec.get("high_security", False)]
    secure = sum(int(spec.get("places", 0)) for spec in units.values() if spec.get("high_security", False))
    if len(ordinary) != 1:
        which = f"ordinary units {', '.join(ordinary)}" if ordinary else "no ordinary unit"
        raise ScenarioError(
            [f"{where}: ambiguous, {name} has {which}; set institutions.{name}.units.UNIT.places instead"]
        )
    if value < secure:
        raise ScenarioError([f"{where}: {value} total places is fewer than {name}'s {secure} high-security places"])
    return [(["institutions", name, "units", ordinary[0], "places"], value - secure)]


def apply(data: dict[str, Any], assignments: Iterable[Assignment], origin: dict[str, str]) -> None:
    """Apply overrides in order to scenario ``data`` (in place), expanding the institution shorthand."""
    for keys, value, label in assignments:
        try:
            expanded = expand(data, keys, value)
        except ScenarioError as exc:
            raise ScenarioError([f"{label}: {p}" for p in exc.problems]) from None
        for path, v in expanded:
            apply_override(data, path, copy.deepcopy(v), origin, label)


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


def derive(scenario: Scenario, assignments: Iterable[Assignment], source: str = "command line") -> Scenario:
    """A validated copy of ``scenario`` with the overrides applied; ScenarioError names key and override."""
    data = resolved_dict(scenario)
    origin: dict[str, str] = {}
    apply(data, assignments, origin)
    return validate_data(data, origin, source)


def load(
    path: str | Path, overrides: Iterable[str] = (), replications: int | None = None, seed: int | None = None
) -> Scenario:
    """Load a scenario file (``extends`` resolved), apply ``--set`` overrides with the shorthand, then the
    ``--replications`` and ``--seed`` options if given."""
    assignments = parse(overrides)
    scenario = derive(load_scenario(path), assignments, str(path)) if assignments else load_scenario(path)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    return with_horizon(scenario, **changes) if changes else scenario
