"""Erlang B (no waiting list), Cobham's priority waits with the conservation law, and Ciw as a cross-check.

Tolerances as in :mod:`tests.validation.theory`: the mean of independent fixed-seed replications must lie
within k standard errors of theory, k the Student-t value for a 0.1 % two-sided false alarm (Bonferroni-
lowered where a test makes several comparisons), with a bound on the SE so the check has power.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.run.worker import Experiment
from tests.helpers import pool, scenario_of
from tests.validation.theory import DAYS_PER_YEAR, assert_close, erlang_c


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def test_erlang_b_recursion_against_known_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(5, 4.0) == pytest.approx(0.19907, abs=1e-5)  # tables: B(5, 4 erlang) = 0.1991


@pytest.mark.parametrize("c, a", [(5, 4.0), (10, 6.0)])
def test_no_waiting_list_matches_erlang_b(c, a):
    # a type without a waiting list diverts a youth who finds every place taken: the M/M/c/c loss system;
    # blocking is insensitive to the stay distribution, exponential here
    data = pool(places=c, per_year=a * DAYS_PER_YEAR, mean_stay=1.0, years=10, warmup_days=30, seed=5)
    data["placement_types"]["remand"]["waiting_list"] = False
    exp = Experiment(scenario_of(data))
    W, E = exp.clock.warmup, exp.clock.end
    blocked = []
    for r in range(20):
        rec = exp.records(r)
        arrived = (rec.youths.arrival >= W) & (rec.youths.arrival < E)
        diverted = arrived & (rec.withdrawn == rec.youths.arrival)
        assert not np.any(arrived & np.isnan(rec.admitted) & np.isnan(rec.withdrawn))  # nobody waits
        blocked.append(diverted.sum() / arrived.sum())
    assert_close(f"P(block) c={c} a={a}", blocked, erlang_b(c, a), max_rel_se=0.02)


def two_classes(lam1: float, lam2: float, c: int, years: float, seed: int) -> dict:
    data = pool(places=c, per_year=lam1 * DAYS_PER_YEAR, mean_stay=1.0, years=years, warmup_days=60, seed=seed)
    social = {
        "priority": 2,
        "demand": {"per_year": lam2 * DAYS_PER_YEAR, "regions": {"R": 1.0}},
        "stay": {"distribution": "exponential", "mean": 1.0},
    }
    data["placement_types"]["social"] = social
    data["placement_types"]["remand"]["priority"] = 1
    return data


def test_priority_waits_match_cobham_and_the_conservation_law():
    """Non-preemptive priority M/M/c, equal exponential stays (Cobham 1954, with Erlang C for the pool):

    W_k = C(c, a) / (c mu) / ((1 - s_{k-1}) (1 - s_k)),  s_k = sum of lambda_i / (c mu) over classes i <= k.
    Conservation: the arrival-weighted mean wait equals the first-come-first-served M/M/c value, because
    the order of service does not change the work in the system when all stays have the same law.
    """
    c, lam1, lam2 = 5, 1.5, 2.5  # rho = 0.8
    lam, mu = lam1 + lam2, 1.0
    a = lam / mu
    base = erlang_c(c, a) / (c * mu)
    s1, s2 = lam1 / (c * mu), (lam1 + lam2) / (c * mu)
    w1_theory, w2_theory = base / (1 - s1), base / ((1 - s1) * (1 - s2))
    fcfs = erlang_c(c, a) / (c * mu - lam)
    assert (lam1 * w1_theory + lam2 * w2_theory) / lam == pytest.approx(fcfs)  # the law, in theory

    exp = Experiment(scenario_of(two_classes(lam1, lam2, c, years=20, seed=13)))
    W, E = exp.clock.warmup, exp.clock.end
    w1, w2, pooled = [], [], []
    for r in range(20):
        rec = exp.records(r)
        y = rec.youths
        # arrivals well before the end, so every wait is complete (no censoring)
        inside = (y.arrival >= W) & (y.arrival < E - 30)
        wait = rec.admitted - y.arrival
        assert not np.any(np.isnan(wait[inside]))
        w1.append(wait[inside & (y.type == 0)].mean())
        w2.append(wait[inside & (y.type == 1)].mean())
        pooled.append(wait[inside].mean())
    alpha = 0.001 / 3  # three comparisons that must all pass
    assert_close("W remand (priority 1)", w1, w1_theory, max_rel_se=0.03, alpha=alpha)
    assert_close("W social (priority 2)", w2, w2_theory, max_rel_se=0.03, alpha=alpha)
    assert_close("arrival-weighted W = FCFS", pooled, fcfs, max_rel_se=0.03, alpha=alpha)


def test_waits_match_an_independent_implementation_by_distribution():
    """Ciw (a different simulator, its own random numbers) and kapsim on the same M/M/3 queue.

    Waits within one run are autocorrelated, so both samples take every 40th youth (at rho = 0.8 the
    autocorrelation of waits 40 arrivals apart is below 0.05) from independent replications; the
    two-sample Kolmogorov-Smirnov test then compares whole distributions, zeros included, and must not
    reject at 0.1 %. The mean occupancy is compared in the same way.
    """
    ciw = pytest.importorskip("ciw")
    c, lam, years, warm = 3, 2.4, 8, 60.0
    end = warm + years * DAYS_PER_YEAR
    stride = 40

    ours, ours_occ = [], []
    exp = Experiment(
        scenario_of(pool(places=c, per_year=lam * DAYS_PER_YEAR, mean_stay=1.0, years=years, warmup_days=warm, seed=21))
    )
    idx = exp.layout.keys.index(("occupancy_mean", "national", "all"))
    for r in range(10):
        rec = exp.records(r)
        inside = (rec.youths.arrival >= exp.clock.warmup) & (rec.youths.arrival < exp.clock.end - 30)
        ours.append((rec.admitted - rec.youths.arrival)[inside][::stride])
        ours_occ.append(exp.measures(rec)[0][idx])

    theirs, theirs_occ = [], []
    for r in range(10):
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=lam)],
            service_distributions=[ciw.dists.Exponential(rate=1.0)],
            number_of_servers=[c],
        )
        ciw.seed(1000 + r)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(end)
        records = sorted(sim.get_all_records(), key=lambda x: x.arrival_date)
        theirs.append(np.array([x.waiting_time for x in records if warm <= x.arrival_date < end - 30])[::stride])
        busy = sum(min(x.exit_date, end) - max(x.service_start_date, warm) for x in records if x.exit_date > warm)
        theirs_occ.append(busy / (end - warm))

    a, b = np.concatenate(ours), np.concatenate(theirs)
    assert a.size > 1500 and b.size > 1500
    p = stats.ks_2samp(a, b).pvalue
    assert p > 0.001, f"wait distributions differ: KS p = {p:.2g}"
    assert np.mean(a == 0) == pytest.approx(np.mean(b == 0), abs=4 * math.sqrt(0.25 / a.size + 0.25 / b.size))
    diff = np.mean(ours_occ) - np.mean(theirs_occ)
    se = math.sqrt(np.var(ours_occ, ddof=1) / 10 + np.var(theirs_occ, ddof=1) / 10)
    assert abs(diff) < 4.8 * se, f"occupancy {np.mean(ours_occ):.3f} vs Ciw {np.mean(theirs_occ):.3f}"
