"""Discipline (M10): detecting and punishing refusers and fleers, catching absentees, witnesses, and the drift
of ministry units into unofficial lethal discipline.

A unit's regime decides what happens to a refuser it detects or a fleer it catches (blocking detachments in
the lethal regime catch most): executed on the spot, sent to a penal assault unit, detained, or returned to
the line. Executions per unit-week are capped, so that executions, lost cohesion and refusals cannot spiral
without bound. Detention ends in a court case for a share of men, and prison for a share of those; the others
go back to their units. Witnesses of executions and detentions fear more and see punishment as more certain,
but lose morale and cohesion (Lyall 2020). A legal unit adopts lethal practice at a capped hazard that rises
with its own refusals and with adoption by neighbouring units.
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
from morale.processes.morale import (
    R_CATCH,
    R_DETECT,
    R_FLEE_DETAIN,
    R_FLEE_EXEC,
    R_FLEE_PENAL,
    R_REF_DETAIN,
    R_REF_EXEC,
    R_REF_PENAL,
    regime_table,
)

EXECUTE, PENAL, DETAIN, RETURN = range(4)


@njit(cache=True)
def _punish(army, people, n_soldiers, week, key, regimes, cap_share, detention_weeks, penal_weeks, flows):
    """This week's refusers and fleers meet their unit's regime."""
    soldiers, unit_members, unit_state, unit_regime = army[0], army[3], army[7], army[8]
    for row in range(n_soldiers):
        choice = soldiers[C.S_CHOICE, row]
        if soldiers[C.S_LOCATION, row] != C.FRONT or (choice != C.REFUSE and choice != C.FLEE):
            continue
        stream = soldiers[C.S_STREAM, row]
        unit = soldiers[C.S_UNIT, row]
        regime = unit_regime[unit]
        refused = choice == C.REFUSE
        if uniform(key, week, 50, row) >= regimes[regime, R_DETECT if refused else R_CATCH]:
            if not refused:  # an uncaught fleer is absent without leave
                soldiers[C.S_LOCATION, row] = C.AWOL
                soldiers[C.S_AWAY_WEEKS, row] = 0
                flows[C.F_AWOL, stream] += 1
            continue
        unit_state[C.U_CAUGHT_WEEK, unit] += 1.0
        if regime == C.LETHAL and not refused:
            flows[C.F_BLOCKING_STOPS, stream] += 1
        u = uniform(key, week, 51, row)
        execute = regimes[regime, R_REF_EXEC if refused else R_FLEE_EXEC]
        penal = regimes[regime, R_REF_PENAL if refused else R_FLEE_PENAL]
        detain = regimes[regime, R_REF_DETAIN if refused else R_FLEE_DETAIN]
        outcome = EXECUTE if u < execute else PENAL if u < execute + penal else (
            DETAIN if u < execute + penal + detain else RETURN)
        if outcome == EXECUTE:
            # at least one a week, so that a coarse scale (units of 5 agents) does not forbid executions
            cap = max(1.0, math.floor(cap_share * unit_members[unit] + uniform(key, week, 52, unit)))
            if unit_state[C.U_EXECUTIONS_WEEK, unit] >= cap:
                outcome = DETAIN  # the cap binds: the man is held instead
        if outcome == EXECUTE:
            leave_service(army, people, row, C.DEAD)
            unit_state[C.U_EXECUTIONS_WEEK, unit] += 1.0
            flows[C.F_EXECUTIONS, stream] += 1
            if regime == C.LETHAL and not refused:
                flows[C.F_BLOCKING_SHOT, stream] += 1
        elif outcome == PENAL:
            soldiers[C.S_PENAL_UNTIL, row] = week + penal_weeks
            flows[C.F_PENAL_TRANSFERS, stream] += 1
        elif outcome == DETAIN:
            soldiers[C.S_LOCATION, row] = C.DETENTION
            soldiers[C.S_DETENTION_UNTIL, row] = week + detention_weeks
            unit_state[C.U_DETENTIONS_WEEK, unit] += 1.0
            flows[C.F_DETENTIONS, stream] += 1
        elif regime == C.LETHAL and not refused:
            flows[C.F_BLOCKING_RETURNED, stream] += 1


@njit(cache=True)
def _absentees_and_detainees(army, people, n_soldiers, week, key, awol_catch, deserter_catch, detention_weeks,
                             prosecuted_share, awol_prosecuted_share, imprisoned_share, flows):
    """Absentees and deserters are caught; detention ends in a case (and prison for some) or a return."""
    soldiers = army[0]
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        stream = soldiers[C.S_STREAM, row]
        if soldiers[C.S_PENAL_UNTIL, row] >= 0 and soldiers[C.S_PENAL_UNTIL, row] <= week:
            soldiers[C.S_PENAL_UNTIL, row] = -1  # served his time in the penal unit
        if location == C.AWOL or location == C.DESERTED:
            catch = awol_catch if location == C.AWOL else deserter_catch
            if uniform(key, week, 53, row) < catch:
                soldiers[C.S_LOCATION, row] = C.DETENTION
                soldiers[C.S_DETENTION_UNTIL, row] = week + detention_weeks
                flows[C.F_DETENTIONS, stream] += 1
        elif location == C.DETENTION and soldiers[C.S_DETENTION_UNTIL, row] <= week:
            absentee = soldiers[C.S_AWAY_WEEKS, row] > 0
            soldiers[C.S_AWAY_WEEKS, row] = 0
            if uniform(key, week, 54, row) < (awol_prosecuted_share if absentee else prosecuted_share):
                flows[C.F_PROSECUTED, stream] += 1
                if absentee:
                    flows[C.F_PROSECUTED_AWOL, stream] += 1
                if uniform(key, week, 55, row) < imprisoned_share:
                    leave_service(army, people, row, C.IMPRISONED)
                    continue
            soldiers[C.S_LOCATION, row] = C.REAR


@njit(cache=True)
def _witness(army, n_soldiers, n_units, learning, fear_exec, fear_detain, morale_exec, cohesion_exec, unit_agents):
    """Members of units that punished this week see it: fear, certainty, morale and cohesion change."""
    soldiers, mind, unit_state = army[0], army[6], army[7]
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] == C.REMOVED:
            continue
        unit = soldiers[C.S_UNIT, row]
        defectors = unit_state[C.U_DEFECTORS_WEEK, unit]
        executed = unit_state[C.U_EXECUTIONS_WEEK, unit]
        detained = unit_state[C.U_DETENTIONS_WEEK, unit]
        if defectors > 0:  # the share of this week's refusers and fleers who were caught
            seen = min(unit_state[C.U_CAUGHT_WEEK, unit] / defectors, 1.0)
            mind[C.M_CERTAINTY, row] += learning * (seen - mind[C.M_CERTAINTY, row])
        if executed + detained > 0:
            mind[C.M_FEAR, row] += (fear_exec * executed + fear_detain * detained) / unit_agents
            mind[C.M_MORALE, row] = max(0.0, mind[C.M_MORALE, row] - morale_exec * executed / unit_agents)
    for unit in range(n_units):
        executed = unit_state[C.U_EXECUTIONS_WEEK, unit]
        if executed > 0:
            unit_state[C.U_COHESION, unit] = max(0.0, unit_state[C.U_COHESION, unit]
                                                 - cohesion_exec * executed / unit_agents)


@njit(cache=True)
def _drift(unit_state, unit_regime, unit_stream, unit_members, n_units, week, key, enabled, base, w_refusals,
           w_neighbours, cap, neighbours, flows):
    """Refusal shares carried to next week; legal units at the front adopt lethal practice at a capped hazard
    rising with their recent refusals and the share of lethal units among their front neighbours."""
    for unit in range(n_units):
        front = unit_state[C.U_FRONT_MEMBERS, unit]
        share = unit_state[C.U_DEFECTORS_WEEK, unit] / front if front > 0 else 0.0
        unit_state[C.U_DEFECT_SHARE, unit] = share
        unit_state[C.U_REFUSALS_RECENT, unit] = 0.8 * unit_state[C.U_REFUSALS_RECENT, unit] + 0.2 * share
    if not enabled:
        return
    for unit in range(n_units):
        if unit_regime[unit] != C.LEGAL or unit_state[C.U_FRONT_MEMBERS, unit] <= 0:
            continue  # officers at the front adopt the practice
        lethal = 0.0
        near = 0.0
        for other in range(max(0, unit - neighbours), min(n_units, unit + neighbours + 1)):
            if other != unit and unit_state[C.U_FRONT_MEMBERS, other] > 0:
                near += 1.0
                if unit_regime[other] == C.LETHAL:
                    lethal += 1.0
        hazard = base + w_refusals * unit_state[C.U_REFUSALS_RECENT, unit]
        hazard += w_neighbours * (lethal / near if near > 0 else 0.0)
        if uniform(key, week, 56, unit) < 1.0 - math.exp(-min(hazard, cap)):
            unit_regime[unit] = C.LETHAL
            flows[C.F_LETHAL_ADOPTIONS, unit_stream[unit]] += 1


def step(state: State, ctx: Context) -> None:
    d = ctx.params.discipline
    m = ctx.params.mind
    key = ctx.keys["discipline"]
    n_units = int(state.n_units[0])
    _punish(state.army, state.people, state.n_soldiers, state.week, key, regime_table(ctx),
            d.execution_cap_share.value, int(d.detention_weeks.value), int(d.penal_weeks.value), state.flows)
    _absentees_and_detainees(state.army, state.people, state.n_soldiers, state.week, key, d.awol_catch_weekly.value,
                             d.deserter_catch_weekly.value, int(d.detention_weeks.value), d.prosecuted_share.value,
                             d.awol_prosecuted_share.value, d.imprisoned_share.value, state.flows)
    _witness(state.army, state.n_soldiers, n_units, d.certainty_learning.value, m.fear_per_execution_share.value,
             m.fear_per_detention_share.value, m.morale_loss_per_execution_share.value,
             m.cohesion_loss_per_execution_share.value, float(ctx.unit_size))
    _drift(state.unit_state, state.unit_regime, state.unit_stream, state.unit_members, n_units, state.week, key,
           d.drift_enabled, d.drift_base_hazard.value, d.drift_refusal_weight.value, d.drift_neighbour_weight.value,
           d.drift_cap.value, int(d.drift_neighbours.value), state.flows)
    state.recorded["lethal_units"] = float(np.count_nonzero(
        (state.unit_regime[:n_units] == C.LETHAL) & (state.unit_members[:n_units] > 0)))
