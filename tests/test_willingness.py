"""The willing (engine/willingness.py): a fixed rank per man, so the most willing sign first and supply at fixed
terms falls as they are used up."""

from __future__ import annotations

import numpy as np

from morale.engine import willingness
from tests.conftest import checked_run

REGION = {"code": "ONE", "name": "one region", "men_18_59": 300_000, "annual_cohort": 0.0, "wage": 60_000,
          "unemployment": 4.8, "poverty": 11.0, "source": "test: constant inputs"}


def _fact(value: float) -> dict:
    return {"value": value, "source": "test"}


def _constant_terms(**contract) -> dict:
    """One region, no dated changes (pay, bonuses, call-ups, mobilisation), no ladder, no ceiling, no
    sanctions or labour drain: contract terms and the willing share stay constant, so only the pool moves."""
    return {
        "extends": "russia-2022", "inherit_events": False, "end": "2025-02-23",
        "population": {"regions": [REGION], "prison_population": _fact(1000)},
        "army": {"initial_contract": _fact(4000), "initial_conscripts": _fact(2000), "initial_front": _fact(1000),
                 "home_requirement": _fact(0),
                 "authorised_strength": [{"date": "2018-01-01", "value": 1_000_000}]},
        "deployment": {"front_demand": [{"date": "2022-02-24", "value": 1000}]},
        "recruitment": {"mobilisations": [], "conscription": {"callups": [], "repeat_last": False},
                        "shortfall": {"enabled": False},
                        "contract": {"intercept": _fact(-3.0), "risk_weight": _fact(0.0), "support_weight": _fact(0.0),
                                     **{k: _fact(v) for k, v in contract.items()}}},
        "emigration": {"enabled": False},
        "economy": {"sanctions": {"enabled": False}, "labour_drain_unemployment": _fact(0.0),
                    "labour_drain_wage": _fact(0.0)},
        "service": {"contract_term_weeks": _fact(520)},  # no discharged man returns to the pool in the run
    }


def _contracts_by_year(run) -> np.ndarray:
    return run.series["recruits_contract"].groupby(run.series.index.year).sum().to_numpy()


def test_contract_enlistment_falls_as_the_willing_are_used_up_at_constant_terms():
    run = checked_run(_constant_terms(), seed=3, scale=10)
    by_year = _contracts_by_year(run)  # 2022 (from Feb 24), 2023, 2024
    assert by_year[0] > 0
    assert by_year[1] < 0.8 * by_year[0] and by_year[2] < 0.8 * by_year[1], by_year
    pool = run.series["pool_contract"]
    assert pool.iloc[-1] < 0.5 * pool.iloc[0], (pool.iloc[0], pool.iloc[-1])


def test_with_a_tiny_signing_hazard_the_pool_barely_moves():
    """The fall comes from signing: nearly no one signs, nearly no one is used up."""
    run = checked_run(_constant_terms(signing_weekly_hazard=0.0005), seed=3, scale=10)
    pool = run.series["pool_contract"]
    assert pool.iloc[-1] > 0.85 * pool.iloc[0], (pool.iloc[0], pool.iloc[-1])


def test_pool_counts_civilians_below_the_share_and_subtracts_the_signed():
    counts = np.zeros((2, len(willingness.EDGES) - 1))
    bin_of = np.searchsorted(willingness.EDGES, [0.001, 0.01, 0.5], side="right") - 1
    counts[0, bin_of] = [10.0, 20.0, 30.0]  # region 0: men at ranks 0.001, 0.01, 0.5
    counts[1, bin_of[0]] = 5.0
    share = np.array([0.02, 0.02])
    np.testing.assert_allclose(willingness.pool(counts, np.zeros(2), share), [30.0, 5.0])
    np.testing.assert_allclose(willingness.pool(counts, np.array([4.0, 9.0]), share), [26.0, 0.0])
    assert willingness.pool(counts, np.zeros(2), np.array([1.0, 1.0]))[0] == 60.0
