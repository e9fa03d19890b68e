"""Parameter uncertainty carried into runs: replication r runs with parameter draw r mod the number of draws.

The draws live in the scenario (``parameter_uncertainty``, written by ``kapsim calibrate``). A draw only
changes parameter values; the seed, the replication number and therefore every random stream stay the
same, so two runs with the same seed give the same numbers, and a fan chart's spread then holds both the
randomness of the system and the uncertainty of the fitted parameters.
"""

from __future__ import annotations

from sim.scenario import paths
from sim.scenario.loading import ScenarioError, resolved_dict, validate_data
from sim.scenario.schema import Scenario


def apply_draw(scenario: Scenario, draw: dict[str, float], label: str = "parameter draw") -> Scenario:
    """The scenario with one draw's values set, validated, and without its ``parameter_uncertainty``."""
    data = resolved_dict(scenario)
    data.pop("parameter_uncertainty", None)
    for path, value in draw.items():
        paths.assign(data, paths.split(path), value)
    try:
        return validate_data(data, {}, label)
    except ScenarioError as exc:
        raise ScenarioError([f"{label}: {p}" for p in exc.problems]) from None


def with_draws_applied(scenario: Scenario, apply: bool = True) -> Scenario:
    """The scenario with ``parameter_uncertainty.apply`` set (``kapsim run --parameter-uncertainty``).

    Raises ScenarioError if the scenario carries no draws.
    """
    if scenario.parameter_uncertainty is None:
        where = f"{scenario.name}: parameter_uncertainty"
        raise ScenarioError([f"{where}: the scenario has no parameter draws (kapsim calibrate writes them)"])
    data = resolved_dict(scenario)
    data["parameter_uncertainty"]["apply"] = apply
    return validate_data(data, {}, scenario.name)
