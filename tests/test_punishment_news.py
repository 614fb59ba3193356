"""News of punishments (M10, issue 12): leaked executions and punishments in the same formation reach front
soldiers of other units; lethal practice spreads by imitation within a formation and by observed impunity."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import morale
from morale.engine import codes as C
from morale.processes import discipline
from morale.scenario.schema import Param

KEY = np.uint64(12345)


@pytest.fixture(scope="module")
def running():
    """A small run a few weeks in, with soldiers at the front."""
    sim = morale.Simulation("russia-2022", scale=300, end="2022-06-30", seed=3)
    for _ in range(4):
        sim.step()
    return sim


def _with_leak(sim, persons: float, caught_share: float):
    """A copy of `sim` in which `persons` executions became known last week, caught at `caught_share`."""
    leaked = copy.deepcopy(sim)
    society = leaked.state.society
    society.leak_queue[C.LEAK_EXECUTIONS, leaked.state.week - 1] += persons
    society.executions_caught[leaked.state.week - 1] += persons * caught_share
    return leaked


def _quiet_front_rows(sim) -> np.ndarray:
    """Front soldiers of units that executed, detained and caught no one this week."""
    state = sim.state
    rows = np.flatnonzero(state.soldiers[C.S_LOCATION, : state.n_soldiers] == C.FRONT)
    units = state.soldiers[C.S_UNIT, rows]
    seen = (state.unit_state[C.U_EXECUTIONS_WEEK] + state.unit_state[C.U_DETENTIONS_WEEK]
            + state.unit_state[C.U_CAUGHT_WEEK])[units]
    return rows[seen == 0]


def test_leaked_execution_raises_certainty_and_fear_of_front_soldiers_who_saw_nothing(running):
    quiet, leaked = copy.deepcopy(running), _with_leak(running, 400.0, 0.9)
    quiet.step()
    leaked.step()
    rows = _quiet_front_rows(quiet)
    assert len(rows) > 200
    fear = leaked.state.mind[C.M_FEAR, rows] - quiet.state.mind[C.M_FEAR, rows]
    certainty_before = quiet.state.mind[C.M_CERTAINTY, rows]
    certainty = leaked.state.mind[C.M_CERTAINTY, rows] - certainty_before
    assert (fear >= 0).all()
    heard = fear > 0
    reach = running.scenario.information.soldier_reach.value
    assert heard.mean() == pytest.approx(reach, abs=0.1)  # those the news reached
    weight = 400.0 / (400.0 + running.scenario.information.soldier_half_saturation.value)
    assert fear[heard] == pytest.approx(running.scenario.discipline.news_fear.value * weight)
    assert (certainty[~heard] == 0).all()
    assert (certainty[heard] * (0.9 - certainty_before[heard]) >= 0).all()  # toward the share caught
    assert certainty[heard].mean() > 0.005


def test_news_switched_off_changes_nothing(running):
    quiet, leaked = copy.deepcopy(running), _with_leak(running, 400.0, 0.9)
    for sim in (quiet, leaked):
        sim.ctx.params.information.soldier_reach = Param(value=0.0, source="test")
        sim.ctx.params.discipline.formation_news_probability = Param(value=0.0, source="test")
    quiet.step()
    leaked.step()
    n = quiet.state.n_soldiers
    assert np.array_equal(quiet.state.mind[:, :n], leaked.state.mind[:, :n])


def test_formations_group_companies_of_one_stream_in_creation_order():
    streams = np.array([0, 1, 0, 0, 1, 0, 0], np.int8)
    formation, count = discipline.formations(streams, len(streams), 2)
    assert formation.tolist() == [0, 1, 0, 2, 1, 2, 3] and count == 4


def _army(n_units: int, members: int, formation_size: int):
    """Soldier and unit arrays of `n_units` companies of `members` front soldiers each (one stream)."""
    n = n_units * members
    soldiers = np.full((len(C.SOLDIER_FIELDS), n), 0, np.int32)
    soldiers[C.S_LOCATION] = C.FRONT
    soldiers[C.S_UNIT] = np.repeat(np.arange(n_units), members)
    mind = np.zeros((len(C.SOLDIER_MIND), n))
    mind[C.M_CERTAINTY] = 0.4
    unit_stream = np.zeros(n_units, np.int8)
    unit_members = np.full(n_units, members, np.int32)
    unit_state = np.zeros((len(C.UNIT_FIELDS), n_units))
    unit_state[C.U_FRONT_MEMBERS] = members
    unit_regime = np.full(n_units, C.LEGAL, np.int8)
    army = (soldiers, np.zeros(1, np.int32), unit_stream, unit_members, np.zeros(C.N_STREAMS, np.int32),
            np.array([n_units]), mind, unit_state, unit_regime)
    formation, count = discipline.formations(unit_stream, n_units, formation_size)
    return army, formation, count


def _hear(army, formation, count, heard, reach_formation=0.9, reach_army=0.3, army_news=0.0):
    soldiers, unit_members, unit_regime = army[0], army[3], army[8]
    sums = discipline._formation_sums(formation, count, heard, unit_members, unit_regime, len(unit_members))
    news = discipline._unit_news(formation, heard, sums, unit_members, len(unit_members), 0.6, 0.05)
    discipline._hear(army, soldiers.shape[1], 7, KEY, news, reach_formation, reach_army, army_news, 0.9, 0.1, 0.3)


def test_punishments_in_the_formation_reach_its_other_companies_only():
    army, formation, count = _army(40, 5, 4)
    heard = np.zeros((4, 40))
    heard[discipline.N_EXECUTED, 0] = 1.0  # formation 0 (units 0-3): one man of unit 0 shot, both fled and caught
    heard[discipline.N_CAUGHT, 0] = heard[discipline.N_DEFECTORS, 0] = 1.0
    _hear(army, formation, count, heard)
    soldiers, mind = army[0], army[6]
    unit = soldiers[C.S_UNIT]
    assert (mind[C.M_FEAR, unit == 0] == 0).all()  # his own company saw it (witnesses, not news)
    assert (mind[C.M_FEAR, unit >= 4] == 0).all() and (mind[C.M_CERTAINTY, unit >= 4] == 0.4).all()
    others = (unit >= 1) & (unit <= 3)
    assert (mind[C.M_FEAR, others] > 0).mean() > 0.7  # told with probability 0.9
    assert (mind[C.M_CERTAINTY, others] >= 0.4).all() and mind[C.M_CERTAINTY, others].max() > 0.4


def test_kernel_with_news_switched_off_changes_no_mind():
    army, formation, count = _army(40, 5, 4)
    heard = np.zeros((4, 40))
    heard[discipline.N_EXECUTED, ::3] = heard[discipline.N_PENAL, ::2] = 1.0
    heard[discipline.N_CAUGHT] = heard[discipline.N_DEFECTORS] = 2.0
    before = army[6].copy()
    _hear(army, formation, count, heard, reach_formation=0.0, reach_army=0.0, army_news=0.5)
    assert np.array_equal(army[6], before)


def _adoptions(regime_of_first_two: int, heard_executions: float = 0.0, army_news: float = 0.0,
               n_units: int = 8000) -> int:
    """Legal companies (the last two of each formation of four) that adopt lethal practice in one week, when
    the first two companies of every formation have `regime_of_first_two`."""
    army, formation, count = _army(n_units, 5, 4)
    unit_stream, unit_members, unit_state, unit_regime = army[2], army[3], army[7], army[8]
    first_two = np.arange(n_units) % 4 < 2
    unit_regime[first_two] = regime_of_first_two
    heard = np.zeros((4, n_units))
    heard[discipline.N_EXECUTED, first_two] = heard_executions
    heard[discipline.N_CAUGHT, first_two] = heard[discipline.N_DEFECTORS, first_two] = heard_executions
    sums = discipline._formation_sums(formation, count, heard, unit_members, unit_regime, n_units)
    news = discipline._unit_news(formation, heard, sums, unit_members, n_units, 0.6, 0.05)
    flows = np.zeros((C.N_FLOWS, C.N_STREAMS), np.int64)
    legal = unit_regime == C.LEGAL
    discipline._drift(unit_state, unit_regime, unit_stream, unit_members, n_units, 11, KEY, True, 0.002, 0.05,
                      0.02, 0.01, 1.0, formation, sums, news, army_news, flows)
    assert flows[C.F_LETHAL_ADOPTIONS].sum() == np.count_nonzero(legal & (unit_regime == C.LETHAL))
    return int(np.count_nonzero((unit_regime == C.LETHAL) & ~first_two))


def test_units_in_formations_with_lethal_companies_adopt_more_often():
    # hazards 0.002 and 0.002 + 0.02 x 2/3: about 8 and 61 adoptions of 4,000 companies
    alone, imitating = _adoptions(C.LEGAL), _adoptions(C.LETHAL)
    assert 0 < alone < 25 and imitating > 35
    assert imitating > 2.5 * alone


def test_observed_impunity_raises_adoption_and_saturates():
    none = _adoptions(C.LEGAL)
    formation = _adoptions(C.LEGAL, heard_executions=1.0)  # two men of ten shot in the formation's other companies
    leaked = _adoptions(C.LEGAL, army_news=0.5)
    assert formation > none + 5 and leaked > none + 5
    saturated = _adoptions(C.LEGAL, heard_executions=5.0, army_news=1.0)  # impunity 1: hazard 0.012, about 48
    assert max(formation, leaked) < saturated < 80  # the impunity term is at most its weight
