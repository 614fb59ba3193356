"""Issue 12: refusals raise a company's losses, and success is the effective front before the refill."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morale
from morale.engine import codes as C
from morale.processes import combat
from morale.processes.recruitment import CONTRACT_TYPE

PER_COMPANY = 20_000  # front soldiers in each of the two companies
WEEKLY_LOSS = 0.05  # weekly casualty hazard of a fully effective soldier (every stream)
WEEK = 3
KEY = np.uint64(0x5EED_F00D)


@pytest.fixture(scope="module")
def sim():
    """A small simulation, not stepped: its arrays give the kernels their types; tests edit copies."""
    return morale.Simulation("russia-2022", scale=1000, end="2022-06-30", seed=0)


def _two_companies(sim, defect_shares):
    """2 x PER_COMPANY contract soldiers at the front, fully trained, not penal; company = row % 2."""
    state = sim.state
    n = 2 * PER_COMPANY
    soldiers = np.full((len(C.SOLDIER_FIELDS), n), -1, state.soldiers.dtype)
    rows = np.arange(n)
    soldiers[C.S_PERSON] = rows
    soldiers[C.S_STREAM] = C.CONTRACT
    soldiers[C.S_LOCATION] = C.FRONT
    soldiers[C.S_UNIT] = rows % 2
    soldiers[C.S_TRAINING] = 10_000  # effectiveness 1 up to rounding
    soldiers[C.S_FRONT_WEEKS] = 0
    soldiers[C.S_PENAL_UNTIL] = -1
    soldiers[C.S_CHOICE] = C.ADVANCE
    unit_state = np.zeros((len(C.UNIT_FIELDS), 2), state.unit_state.dtype)
    unit_state[C.U_DEFECT_SHARE] = defect_shares
    army = (soldiers, state.soldier.copy(), state.unit_stream.copy(), state.unit_members.copy(),
            state.open_unit.copy(), state.n_units.copy(), state.mind.copy(), unit_state, state.unit_regime.copy())
    return army, n


def _fight(sim, defect_shares, refusal_loss_weight):
    """One week of combat.  Every casualty is wounded and goes to hospital (no killed, captured or invalided
    share), so the person table is never touched; the unit's `losses_week` counts the casualties."""
    state = sim.state
    t = sim.ctx.params.training
    army, n = _two_companies(sim, defect_shares)
    flows = np.zeros((C.N_FLOWS, C.N_STREAMS), np.int64)
    combat._fight(army, state.people, n, WEEK, KEY, np.full(C.N_STREAMS, WEEKLY_LOSS), 4 * WEEKLY_LOSS,
                  t.effectiveness_min.value, t.tau_weeks.value, t.experience_weight.value,
                  float(refusal_loss_weight), 0.0, 0.0, 0.0, 6.0, 0.0, np.array(CONTRACT_TYPE, np.int64),
                  flows, np.zeros_like(state.region_flows), np.zeros_like(state.contract_killed))
    soldiers, unit_state = army[0], army[7]
    assert flows[C.F_WOUNDED].sum() == unit_state[C.U_LOSSES_WEEK].sum()
    return unit_state[C.U_LOSSES_WEEK].copy(), soldiers[C.S_LOCATION] == C.HOSPITAL


def _expected(defect_share, weight):
    """Expected casualties of one company: PER_COMPANY x (1 - exp(-loss x (1 - d)^-weight)), effectiveness 1."""
    return PER_COMPANY * (1.0 - math.exp(-WEEKLY_LOSS * (1.0 - defect_share) ** -weight))


def _sd(mean):
    return math.sqrt(mean * (1.0 - mean / PER_COMPANY))


def test_refusals_raise_the_company_losses_with_weight_1(sim):
    losses, _ = _fight(sim, [0.5, 0.0], 1.0)
    defecting, steady = losses
    # the hazard doubles at d = 0.5: about 1,900 against about 975 casualties of 20,000
    for got, d in ((defecting, 0.5), (steady, 0.0)):
        assert abs(got - _expected(d, 1.0)) < 5 * _sd(_expected(d, 1.0))
    assert defecting > steady + 10 * _sd(_expected(0.0, 1.0))
    assert 1.7 < defecting / steady < 2.3


def test_refusals_do_not_change_losses_with_weight_0(sim):
    losses, _ = _fight(sim, [0.5, 0.0], 0.0)
    assert _expected(0.5, 0.0) == _expected(0.0, 0.0)
    mean = _expected(0.0, 0.0)
    for got in losses:
        assert abs(got - mean) < 5 * _sd(mean)
    # the two companies differ by sampling noise only: within 5 sd of a difference of two binomials
    assert abs(losses[0] - losses[1]) < 5 * math.sqrt(2) * _sd(mean)


def test_paired_draws_weight_0_ignores_the_defect_share_and_weight_1_only_adds_casualties(sim):
    """Same rows, same draws: with weight 0 the defect share changes no soldier's fate; with weight 1 every
    man hit in a steady company is hit in a defecting one too (the hazard only rises), and more are hit."""
    _, hit_steady = _fight(sim, [0.0, 0.0], 0.0)
    _, hit_defecting = _fight(sim, [0.5, 0.5], 0.0)
    assert np.array_equal(hit_steady, hit_defecting)
    _, hit_steady = _fight(sim, [0.0, 0.0], 1.0)
    _, hit_defecting = _fight(sim, [0.5, 0.5], 1.0)
    assert np.all(hit_defecting[hit_steady])
    assert hit_defecting.sum() > hit_steady.sum()


def _hand_count(soldiers, n, training):
    """Front men who neither refused nor fled, each weighted by e = e_min + (1 - e_min)(1 - exp(-(training +
    w x weeks at front) / tau)), in agents."""
    e_min, tau, w = training.effectiveness_min.value, training.tau_weeks.value, training.experience_weight.value
    total = 0.0
    for row in range(n):
        if soldiers[C.S_LOCATION, row] != C.FRONT or soldiers[C.S_CHOICE, row] in (C.REFUSE, C.FLEE):
            continue
        experience = soldiers[C.S_TRAINING, row] + w * soldiers[C.S_FRONT_WEEKS, row]
        total += e_min + (1.0 - e_min) * (1.0 - math.exp(-experience / tau))
    return total


def test_effective_front_counts_front_men_who_fight_weighted_by_effectiveness(sim):
    state = sim.state
    saved = state.soldiers.copy()
    saved_foreign = state.foreign_front
    try:
        state.foreign_front = 0.0  # foreign recruits (outside the person table) are checked below
        n = state.n_soldiers
        soldiers = state.soldiers
        location = soldiers[C.S_LOCATION, :n]
        front = np.flatnonzero(location == C.FRONT)
        rear = np.flatnonzero(location == C.REAR)
        assert len(front) > 20 and len(rear) > 5
        soldiers[C.S_CHOICE, front] = C.ADVANCE
        soldiers[C.S_CHOICE, rear] = C.ADVANCE  # a choice off the front counts for nothing
        soldiers[C.S_CHOICE, front[:3]] = C.REFUSE
        soldiers[C.S_CHOICE, front[3:6]] = C.FLEE
        soldiers[C.S_CHOICE, front[6:9]] = C.SURRENDER  # surrendering men were at the front this week: counted
        soldiers[C.S_TRAINING, front[9:15]] = 0  # untrained: e_min
        soldiers[C.S_FRONT_WEEKS, front[9:15]] = 0
        soldiers[C.S_TRAINING, front[15:20]] = 10_000  # fully effective
        training = sim.ctx.params.training
        e_min = training.effectiveness_min.value
        assert 0.0 < e_min < 1.0
        hand = _hand_count(soldiers, n, training)
        got = combat.effective_front(state, sim.ctx)
        assert got == pytest.approx(hand * sim.ctx.scale, rel=1e-12)
        # fewer than the front's men: refusers and fleers are out, the rest weigh at most 1
        assert got < (len(front) - 6) * sim.ctx.scale
        # moving a rear man's choice or one fighting man's to refusal: exactly his weight, or nothing
        soldiers[C.S_CHOICE, rear[:5]] = C.REFUSE
        assert combat.effective_front(state, sim.ctx) == pytest.approx(got, rel=1e-12)
        soldiers[C.S_CHOICE, front[9]] = C.REFUSE
        assert combat.effective_front(state, sim.ctx) == pytest.approx(got - e_min * sim.ctx.scale, rel=1e-12)
        soldiers[C.S_CHOICE, front[15]] = C.FLEE
        got = combat.effective_front(state, sim.ctx)
        assert got == pytest.approx(hand * sim.ctx.scale - (e_min + 1.0) * sim.ctx.scale, rel=1e-12)
        # foreign recruits at the front (persons, outside the person table) hold it at the lowest effectiveness
        state.foreign_front = 1000.0
        assert combat.effective_front(state, sim.ctx) == pytest.approx(got + 1000.0 * e_min, rel=1e-12)
    finally:
        state.soldiers[...] = saved
        state.foreign_front = saved_foreign


def test_success_falls_below_1_in_a_short_run():
    """Success used to be read after the refill and stayed at exactly 1; now the front's losses, refusals and
    untrained men show in it."""
    sim = morale.Simulation("russia-2022", scale=400, end="2023-06-30", seed=0)
    success = []
    while not sim.done:
        sim.step()
        success.append(sim.state.society.success)
    success = np.array(success)
    assert np.all((success > 0.0) & (success <= 1.0))
    assert success.min() < 0.99
    assert (success < 1.0).sum() > len(success) // 2
