"""Deployment: the rear fills the front up to the demanded front strength.

Convicts and men in penal units go to the front as soon as they are ready (assault units); other
deployable streams fill what demand is left; a broken unit rests before it returns.
Conscripts are not deployable unless the policy `conscripts_to_combat` is on, when all of them are sent as soon
as they are trained; they are withdrawn to the rear when it is switched off (M1, M2).

Two orders of filling, because two kinds of war:
- a war that sends every deployable man (the default): the rear deploys longest-serving first;
- a war that sends a share of its army (`conscripts_as_needed`: Vietnam, Afghanistan, Chechnya): the front follows
  the demand both ways, so a surplus returns to the rear (longest-serving first, as they go home first) and the
  rear deploys the most recently enlisted first. A state that sends a share of its draft sends men with their
  service ahead of them: sending the longest-serving would put each conscript at the front for his last weeks.
A fixed tour (`deployment.tour_weeks`, 0 for none) brings a man back to the rear after that many weeks at the front,
and he is not sent again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.state import State


def front_demand(ctx: Context, week):
    """Demanded front strength in persons, for a week or an array of weeks: the sourced schedule,
    interpolated and held after its last point, times its scale parameter."""
    dep = ctx.params.deployment
    weeks = [ctx.calendar.week_of(p.date) for p in dep.front_demand]
    values = [p.value for p in dep.front_demand]
    return np.interp(week, weeks, values) * dep.front_demand_scale.value


@njit(cache=True)
def _is_assault(soldiers, row, every_conscript):
    stream = soldiers[C.S_STREAM, row]
    return (stream == C.CONVICT_PMC or stream == C.CONVICT_MINISTRY or soldiers[C.S_PENAL_UNTIL, row] >= 0
            or (stream == C.CONSCRIPT and every_conscript))


@njit(cache=True)
def _toured(soldiers, row, tour_weeks):
    return tour_weeks > 0 and soldiers[C.S_FRONT_WEEKS, row] >= tour_weeks


@njit(cache=True)
def _deploy(soldiers, unit_state, n_soldiers, week, demand_agents, conscripts_allowed, conscripts_as_needed,
            tour_weeks, flows):
    every_conscript = conscripts_allowed and not conscripts_as_needed
    front = 0
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        stream = soldiers[C.S_STREAM, row]
        toured = _toured(soldiers, row, tour_weeks)
        if location == C.FRONT and ((stream == C.CONSCRIPT and not conscripts_allowed) or toured):
            soldiers[C.S_LOCATION, row] = C.REAR
        elif (location == C.REAR and not toured and _is_assault(soldiers, row, every_conscript)
              and unit_state[C.U_REST_UNTIL, soldiers[C.S_UNIT, row]] <= week):
            soldiers[C.S_LOCATION, row] = C.FRONT
            flows[C.F_DEPLOYED, stream] += 1
            front += 1
        elif location == C.FRONT:
            front += 1
    if conscripts_as_needed:
        for row in range(n_soldiers):
            if front < demand_agents + 1:
                break  # down to the demand rounded up, which the fill below would restore
            if soldiers[C.S_LOCATION, row] == C.FRONT and not _is_assault(soldiers, row, every_conscript):
                soldiers[C.S_LOCATION, row] = C.REAR
                front -= 1
    for i in range(n_soldiers):
        if front >= demand_agents:
            break
        row = n_soldiers - 1 - i if conscripts_as_needed else i
        if soldiers[C.S_LOCATION, row] != C.REAR or unit_state[C.U_REST_UNTIL, soldiers[C.S_UNIT, row]] > week:
            continue  # only the rear deploys, and broken units rest first
        stream = soldiers[C.S_STREAM, row]
        if (stream == C.CONSCRIPT and not conscripts_allowed) or _toured(soldiers, row, tour_weeks):
            continue
        soldiers[C.S_LOCATION, row] = C.FRONT
        flows[C.F_DEPLOYED, stream] += 1
        front += 1
    return front


def step(state: State, ctx: Context) -> None:
    demand = max(float(front_demand(ctx, state.week)) - state.foreign_front, 0.0) / ctx.scale  # foreigners hold a part
    policy = ctx.params.policy
    _deploy(state.soldiers, state.unit_state, state.n_soldiers, state.week, demand, policy.conscripts_to_combat,
            policy.conscripts_as_needed, ctx.params.deployment.tour_weeks.value, state.flows)
