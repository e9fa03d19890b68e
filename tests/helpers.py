"""Shared helpers: small scenarios built in code, so each test states exactly what it simulates."""

from __future__ import annotations

import copy
from pathlib import Path

from sim.scenario.loading import validate_data
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def pool(
    places: int = 10,
    per_year: float = 365.0,
    mean_stay: float = 1.0,
    distribution: str = "exponential",
    cv: float | None = None,
    years: float = 20,
    warmup_days: float = 50,
    replications: int = 10,
    seed: int = 1,
    withdrawal_mean: float | None = None,
) -> dict:
    """One institution, one region, one placement type (remand): an M/G/c queue as scenario data."""
    stay = {"distribution": distribution, "mean": mean_stay}
    if cv is not None:
        stay["cv"] = cv
    ptype = {"demand": {"per_year": per_year, "regions": {"R": 1.0}}, "stay": stay}
    if withdrawal_mean is not None:
        ptype["withdrawal"] = {"distribution": "exponential", "mean": withdrawal_mean}
    return {
        "name": "pool",
        "horizon": {
            "start": "2025-01-01",
            "years": years,
            "warmup_days": warmup_days,
            "replications": replications,
            "seed": seed,
        },
        "regions": ["R"],
        "institutions": {"A": {"region": "R", "units": {"main": {"places": places}}}},
        "placement_types": {"remand": ptype},
    }


def scenario_of(data: dict) -> Scenario:
    return validate_data(copy.deepcopy(data), {}, "test")
