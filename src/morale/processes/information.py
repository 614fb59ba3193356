"""Information (M11): what happens at the front becomes known, late and in part.

Each week's events of each kind (deaths, executions, conscripts deceived into contracts, conscripts killed
abroad, unit breakdowns) leak with a per-kind probability after a per-kind lag; censorship lowers the
probability and lengthens the lag:

    p = p_kind (1 - e_p censorship),   lag = lag_kind (1 + e_l censorship)

A region learns of its own dead with a higher probability and a short lag; that local knowledge fades fast
(Althaus, Bramlett & Gimpel 2012). Known deaths of contract-type soldiers feed the perceived death rate in
contract enlistment (M3). Leaked executions carry the share caught where they happened, which front soldiers
learn when the news reaches them (discipline reads the week's arrivals the next week, M10).
"""

from __future__ import annotations

import numpy as np

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.state import State
from morale.processes.recruitment import CONTRACT_TYPE


def _events(state: State, ctx: Context) -> np.ndarray:
    """This week's events of each leak kind, in agents."""
    flows = state.flows
    return np.array([
        flows[C.F_KILLED].sum(),
        flows[C.F_EXECUTIONS].sum(),
        flows[C.F_DECEIVED].sum(),
        flows[C.F_KILLED, C.CONSCRIPT] if ctx.params.policy.conscripts_to_combat else 0,
        flows[C.F_UNITS_BROKEN].sum(),
    ], dtype=np.int64)


def caught_where_executed(state: State) -> float:
    """The share of this week's refusers and fleers who were caught, in the units that executed men."""
    n_units = int(state.n_units[0])
    units = state.unit_state[:, :n_units]
    executed = units[C.U_EXECUTIONS_WEEK] > 0
    defectors = units[C.U_DEFECTORS_WEEK, executed].sum()
    return min(units[C.U_CAUGHT_WEEK, executed].sum() / defectors, 1.0) if defectors > 0 else 0.0


def step(state: State, ctx: Context) -> None:
    info = ctx.params.information
    society = state.society
    week = state.week
    rng = np.random.default_rng([int(ctx.keys["information"]), week])
    if info.enabled:
        censorship = info.censorship.value
        p = np.array(info.leak_probability.values()) * (1 - info.censorship_probability_effect.value * censorship)
        lags = np.round(np.array(info.lag_weeks.values()) * (1 + info.censorship_lag_effect.value * censorship))
        lags = np.minimum(lags.astype(int), society.leak_queue.shape[1] - week - 1)
        leaked = rng.binomial(_events(state, ctx), np.clip(p, 0.0, 1.0))
        persons = np.full(len(C.LEAK_KINDS), ctx.scale)
        persons[C.LEAK_UNIT_BREAKS] = ctx.companies_per_unit  # a broken unit is counted in companies
        society.leak_queue[np.arange(len(C.LEAK_KINDS)), week + lags] += leaked * persons
        killed = state.flows[C.F_KILLED].sum()
        contract = state.flows[C.F_KILLED, list(CONTRACT_TYPE)].sum()
        if killed > 0:  # the contract-type share of this week's leaked deaths, known at the same lag
            society.contract_known[week + lags[C.LEAK_DEATHS]] += leaked[C.LEAK_DEATHS] * ctx.scale * contract / killed
        if leaked[C.LEAK_EXECUTIONS] > 0:  # what soldiers learn with the news: the share caught where men were shot
            society.executions_caught[week + lags[C.LEAK_EXECUTIONS]] += (
                leaked[C.LEAK_EXECUTIONS] * ctx.scale * caught_where_executed(state))
        local = rng.binomial(state.region_flows[C.RF_KILLED], info.local_leak_probability.value)
        local_lag = min(int(info.local_lag_weeks.value), society.local_queue.shape[1] - week - 1)
        society.local_queue[:, week + local_lag] += local * ctx.scale
    arrived = society.leak_queue[:, week]
    for kind, name in enumerate(C.LEAK_KINDS):
        state.recorded[f"leaks_{name}"] = arrived[kind]
    state.recorded["leaks"] = arrived.sum()
    society.known_deaths_total += arrived[C.LEAK_DEATHS]
    society.known_by_region += society.local_queue[:, week]
    state.recorded["known_deaths"] = society.known_deaths_total
