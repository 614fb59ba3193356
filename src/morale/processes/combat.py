"""Combat attrition (M7, M8): killed, wounded and captured at the front, recovery and prisoner exchange.

A front soldier's weekly casualty hazard is the intensity (one fitted scalar times a sourced time shape)
times Dupuy's daily loss rate for his posture mix (hold, assault, assault waves), times 7, divided by his
effectiveness: e = e_min + (1 - e_min)(1 - exp(-(training + w x weeks at front) / tau)), so that untrained men
die about twice as often (Dupuy), and divided by (1 - d_u)^beta, d_u the share of his company's front men who
refused or fled last week: the enemy's fire falls on the men still fighting (Lanchester's aimed fire, beta = 1).
Casualties split into captured, killed and wounded by the wounded:killed ratio; some wounded are invalided
out, the rest return from hospital to the rear.

The front's effective strength at the end of the week (men still there and fighting, weighted by
effectiveness) over the demanded strength is what the public reads as success (opinion, M12): it is read
before the rear refills the front, so losses, refusals, flights and untrained men all lower it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.person_table import leave_service
from morale.engine.rng import uniform
from morale.engine.state import State
from morale.processes.recruitment import CONTRACT_TYPE


def intensity(ctx: Context, week: int) -> float:
    """The fitted intensity scalar times the sourced shape (step function held after its last point)."""
    combat = ctx.params.combat
    weeks = np.array([ctx.calendar.week_of(p.date) for p in combat.intensity_shape])
    j = max(int(np.searchsorted(weeks, week, side="right")) - 1, 0)
    return combat.intensity.value * combat.intensity_shape[j].value


@njit(cache=True)
def effectiveness(training_weeks, weeks_at_front, e_min, tau, experience_weight):
    return e_min + (1.0 - e_min) * (1.0 - math.exp(-(training_weeks + experience_weight * weeks_at_front) / tau))


@njit(cache=True)
def _fight(army, people, n_soldiers, week, key, weekly_loss, penal_loss, e_min, tau, experience_weight,
           refusal_loss_weight, captured_share, killed_share, invalidity_share, recovery_weeks, exchange_p,
           contract_type, flows, region_flows, contract_killed):
    soldiers, unit_state = army[0], army[7]
    region = people[3]
    unit_state[C.U_LOSSES_WEEK, :] = 0.0
    lowest_fighting = 0.1  # a company that has all but stopped fighting is broken (Helmbold), not wiped out
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        stream = soldiers[C.S_STREAM, row]
        if location == C.HOSPITAL:
            if soldiers[C.S_HOSPITAL_UNTIL, row] <= week:
                soldiers[C.S_LOCATION, row] = C.REAR
            continue
        if location == C.CAPTURED:
            if uniform(key, week, 1, row) < exchange_p:
                soldiers[C.S_LOCATION, row] = C.REAR
                flows[C.F_RETURNED_CAPTIVES, stream] += 1
            continue
        if location != C.FRONT:
            continue
        e = effectiveness(soldiers[C.S_TRAINING, row], soldiers[C.S_FRONT_WEEKS, row], e_min, tau,
                          experience_weight)
        penal = soldiers[C.S_PENAL_UNTIL, row] >= 0
        fighting = max(1.0 - unit_state[C.U_DEFECT_SHARE, soldiers[C.S_UNIT, row]], lowest_fighting)
        pressure = fighting ** -refusal_loss_weight
        p_casualty = 1.0 - math.exp(-(penal_loss if penal else weekly_loss[stream]) * pressure / e)
        u = uniform(key, week, 2, row)
        if u >= p_casualty:
            soldiers[C.S_FRONT_WEEKS, row] += 1
            continue
        unit_state[C.U_LOSSES_WEEK, soldiers[C.S_UNIT, row]] += 1.0
        share = u / p_casualty  # uniform on [0, 1) given a casualty: splits its kind
        if share < captured_share:
            soldiers[C.S_LOCATION, row] = C.CAPTURED
            flows[C.F_CAPTURED, stream] += 1
        elif share < captured_share + killed_share:
            person = soldiers[C.S_PERSON, row]
            leave_service(army, people, row, C.DEAD)
            flows[C.F_KILLED, stream] += 1
            region_flows[C.RF_KILLED, region[person]] += 1
            for s in contract_type:
                if s == stream:
                    contract_killed[week] += 1
        else:
            flows[C.F_WOUNDED, stream] += 1
            soldiers[C.S_PENAL_UNTIL, row] = -1  # a penal soldier's wound redeems him (Order No. 227)
            v = uniform(key, week, 3, row)
            if v < invalidity_share:
                leave_service(army, people, row, C.CIVILIAN)
                flows[C.F_INVALIDED, stream] += 1
            else:
                soldiers[C.S_LOCATION, row] = C.HOSPITAL
                stay = max(1, int(-recovery_weeks * math.log(uniform(key, week, 4, row))))
                soldiers[C.S_HOSPITAL_UNTIL, row] = week + stay


@njit(cache=True)
def _break_units(army, n_soldiers, n_units, week, threshold, morale_weight, rest_weeks, unit_agents, flows):
    """Helmbold breakpoints: a unit whose recent losses (a decaying sum, so replacements do not accumulate
    forever) exceed a threshold lowered by low morale stops assaulting: its front men go to the rear and the
    unit rests before it is rebuilt from the rear."""
    soldiers, unit_stream, unit_members, unit_state = army[0], army[2], army[3], army[7]
    broken = np.zeros(n_units, np.bool_)
    for unit in range(n_units):
        recent = 0.9 * unit_state[C.U_LOSSES_SINCE_REST, unit] + unit_state[C.U_LOSSES_WEEK, unit]
        unit_state[C.U_LOSSES_SINCE_REST, unit] = recent
        front = unit_state[C.U_FRONT_MEMBERS, unit]
        morale = unit_state[C.U_MORALE_MEAN, unit] / front if front > 0 else 1.0
        if unit_members[unit] > 0 and recent / unit_agents > threshold - morale_weight * (1.0 - morale):
            broken[unit] = True
            unit_state[C.U_LOSSES_SINCE_REST, unit] = 0.0
            unit_state[C.U_REST_UNTIL, unit] = week + rest_weeks
            flows[C.F_UNITS_BROKEN, unit_stream[unit]] += 1
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        if location == C.FRONT and broken[soldiers[C.S_UNIT, row]]:
            soldiers[C.S_LOCATION, row] = C.REAR


@njit(cache=True)
def _effective_front(soldiers, n_soldiers, e_min, tau, experience_weight):
    """Front soldiers who did not refuse or flee this week, each weighted by his effectiveness (agents)."""
    total = 0.0
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] != C.FRONT:
            continue
        choice = soldiers[C.S_CHOICE, row]
        if choice == C.REFUSE or choice == C.FLEE:
            continue
        total += effectiveness(soldiers[C.S_TRAINING, row], soldiers[C.S_FRONT_WEEKS, row], e_min, tau,
                               experience_weight)
    return total


def effective_front(state: State, ctx: Context) -> float:
    """The front's effective strength now (persons): see the module docstring. Foreign recruits hold their
    part of the front at the lowest effectiveness (`_foreign_losses`)."""
    t = ctx.params.training
    own = _effective_front(state.soldiers, state.n_soldiers, t.effectiveness_min.value, t.tau_weeks.value,
                           t.experience_weight.value) * ctx.scale
    return own + state.foreign_front * t.effectiveness_min.value


def weekly_loss_by_stream(ctx: Context, week: int) -> np.ndarray:
    """Weekly casualty hazard of a fully effective soldier of each stream (posture mix x intensity): men on guard
    behind the line of contact are not counted as exposed, the rest hold, assault or storm."""
    c = ctx.params.combat
    assault = np.array(c.assault_share.values())
    storm = np.array(c.storm_share.values())
    guard = np.array(c.guard_share.values())
    daily = ((1 - assault - storm - guard) * c.hold_daily_loss.value + assault * c.assault_daily_loss.value
             + storm * c.storm_daily_loss.value)
    return intensity(ctx, week) * daily * 7.0


def penal_weekly_loss(ctx: Context, week: int) -> float:
    """Men in penal units fight in assault waves (Dupuy's maximum attacker rate)."""
    return intensity(ctx, week) * ctx.params.combat.storm_daily_loss.value * 7.0


def _foreign_losses(state: State, ctx: Context, weekly_loss: np.ndarray, killed_share: float) -> None:
    """Foreign recruits fight as contract infantry with little training (at the lowest effectiveness); the
    killed, captured and invalided leave their stock. Their deaths are recorded apart: the Russian
    probate-based estimates the deaths targets come from do not count foreigners."""
    c = ctx.params.combat
    p = 1.0 - math.exp(-weekly_loss[C.CONTRACT] / ctx.params.training.effectiveness_min.value)
    casualties = state.foreign_front * p
    killed = casualties * killed_share
    wounded = casualties * (1.0 - c.captured_share.value - killed_share)
    state.foreign_front -= killed + casualties * c.captured_share.value + wounded * c.invalidity_share.value
    state.recorded["killed_foreign"] = killed
    state.recorded["foreign_front"] = state.foreign_front


def step(state: State, ctx: Context) -> None:
    c = ctx.params.combat
    t = ctx.params.training
    casualty_kinds = 1.0 - c.captured_share.value
    weekly_loss = weekly_loss_by_stream(ctx, state.week)
    killed_share = casualty_kinds / (1.0 + c.wounded_per_killed.value)
    _foreign_losses(state, ctx, weekly_loss, killed_share)
    _fight(state.army, state.people, state.n_soldiers, state.week, ctx.keys["combat"],
           weekly_loss, penal_weekly_loss(ctx, state.week), t.effectiveness_min.value,
           t.tau_weeks.value,
           t.experience_weight.value, c.refusal_loss_weight.value, c.captured_share.value, killed_share,
           c.invalidity_share.value, c.recovery_weeks.value, 1.0 - math.exp(-c.exchange_weekly.value),
           np.array(CONTRACT_TYPE, np.int64), state.flows, state.region_flows, state.contract_killed)
    m = ctx.params.mind
    _break_units(state.army, state.n_soldiers, int(state.n_units[0]), state.week, m.break_threshold.value,
                 m.break_morale_weight.value, int(m.rest_weeks.value), float(ctx.unit_size), state.flows)
