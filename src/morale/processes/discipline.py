"""Discipline (M10): detecting and punishing refusers and fleers, catching absentees, witnesses, news of
punishments, and the drift of ministry units into unofficial lethal discipline.

A unit's regime decides what happens to a refuser it detects or a fleer it catches (blocking detachments in
the lethal regime catch most): executed on the spot, sent to a penal assault unit, detained, or returned to
the line. Executions per unit-week are capped, so that executions, lost cohesion and refusals cannot spiral
without bound. Detention ends in a court case for a share of men, and prison for a share of those; the others
go back to their units. Witnesses of executions and detentions fear more and see punishment as more certain,
but lose morale and cohesion (Lyall 2020).

Punishments are known beyond the unit: front soldiers hear of executions and penal transfers in the other
companies of their formation (companies of one stream formed together) after a short lag, and of executions
anywhere through leaked news (Anwar & Loughran 2011: certainty is learnt from others' arrests too, less than
from one's own). A legal unit adopts lethal practice at a capped hazard that rises with its own refusals, with
the lethal share of its formation (imitation) and with the executions its commander knows of that brought no
prosecution of officers (impunity).
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
NEWS_WEEKS = 13  # weeks of each unit's punishments kept for formation news (lags up to 12: metadata "news_lag")
N_EXECUTED, N_PENAL, N_CAUGHT, N_DEFECTORS = range(4)  # rows of state.unit_news, per unit and week
# sums over a formation's units: the four rows above (at the news lag), then members, lethal and manned companies
SUM_MEMBERS, SUM_LETHAL, SUM_COMPANIES = 4, 5, 6


@njit(cache=True)
def _punish(army, people, n_soldiers, week, key, regimes, cap_share, detention_weeks, penal_weeks, unit_penal,
            flows):
    """This week's refusers and fleers meet their unit's regime (penal transfers counted per unit for news)."""
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
            unit_penal[unit] += 1.0
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
def formations(unit_stream, n_units, units_per_formation):
    """Each unit's formation: the k-th group of `units_per_formation` units of a stream in creation order, so
    companies raised together from one stream serve together. Units are never renumbered, so a formation keeps
    its companies. Returns (formation per unit, number of formations)."""
    formation = np.empty(n_units, np.int64)
    raised = np.zeros(C.N_STREAMS, np.int64)
    current = np.zeros(C.N_STREAMS, np.int64)
    count = 0
    for unit in range(n_units):
        stream = unit_stream[unit]
        if raised[stream] % units_per_formation == 0:
            current[stream] = count
            count += 1
        formation[unit] = current[stream]
        raised[stream] += 1
    return formation, count


@njit(cache=True)
def _formation_sums(formation, n_formations, heard, unit_members, unit_regime, n_units):
    """Per formation: the punishments, catches and refusers-and-fleers of its units at the news lag (rows of
    `heard`), and its members, lethal companies and companies with members now."""
    sums = np.zeros((7, n_formations))
    for unit in range(n_units):
        f = formation[unit]
        for k in range(4):
            sums[k, f] += heard[k, unit]
        if unit_members[unit] > 0:
            sums[SUM_MEMBERS, f] += unit_members[unit]
            sums[SUM_COMPANIES, f] += 1.0
            if unit_regime[unit] == C.LETHAL:
                sums[SUM_LETHAL, f] += 1.0
    return sums


@njit(cache=True)
def _unit_news(formation, heard, sums, unit_members, n_units, penal_weight, half_share):
    """Per unit, what its men and its commander hear from the other companies of their formation: rows
    (0) the saturating weight s = x / (x + x_half) of their punishments, x their punished share (a penal
    transfer weighs severity_penal), (1) the share of their refusers and fleers who were caught (-1 if none),
    (2) the weight of their executions alone (what the commander reads as impunity)."""
    news = np.zeros((3, n_units))
    for unit in range(n_units):
        f = formation[unit]
        executed = sums[N_EXECUTED, f] - heard[N_EXECUTED, unit]
        penal = sums[N_PENAL, f] - heard[N_PENAL, unit]
        news[1, unit] = -1.0
        if executed + penal <= 0:
            continue
        others = max(sums[SUM_MEMBERS, f] - unit_members[unit], 1.0)
        x = (executed + penal_weight * penal) / others
        news[0, unit] = x / (x + half_share)
        x = executed / others
        news[2, unit] = x / (x + half_share)
        defectors = sums[N_DEFECTORS, f] - heard[N_DEFECTORS, unit]
        if defectors > 0:
            news[1, unit] = min((sums[N_CAUGHT, f] - heard[N_CAUGHT, unit]) / defectors, 1.0)
    return news


@njit(cache=True)
def _hear(army, n_soldiers, week, key, news, reach_formation, reach_army, army_news, army_caught, learning, fear):
    """Front soldiers hear of punishments beyond their unit: in the other companies of their formation (with
    probability reach_formation; `news` per unit from `_unit_news`) and through leaked news (reach_army;
    `army_news` is its saturating weight). Each raises fear by fear x weight and moves certainty toward the
    share caught by learning x weight; the weights are below 1, so a week's news adds at most 2 x fear, and
    certainty stays inside [0, 1]."""
    soldiers, mind = army[0], army[6]
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] != C.FRONT:
            continue
        unit = soldiers[C.S_UNIT, row]
        weight = news[0, unit]
        if weight > 0 and uniform(key, week, 57, row) < reach_formation:
            mind[C.M_FEAR, row] += fear * weight
            if news[1, unit] >= 0:
                mind[C.M_CERTAINTY, row] += learning * weight * (news[1, unit] - mind[C.M_CERTAINTY, row])
        if army_news > 0 and uniform(key, week, 58, row) < reach_army:
            mind[C.M_FEAR, row] += fear * army_news
            mind[C.M_CERTAINTY, row] += learning * army_news * (army_caught - mind[C.M_CERTAINTY, row])


@njit(cache=True)
def _drift(unit_state, unit_regime, unit_stream, unit_members, n_units, week, key, enabled, base, w_refusals,
           w_imitation, w_impunity, cap, formation, sums, news, army_news, flows):
    """Refusal shares carried to next week; legal units at the front adopt lethal practice at a hazard rising
    with their recent refusals, the lethal share of the other companies of their formation (imitation) and
    observed impunity: executions their commander knows of, in the formation or from leaked news, that brought
    no prosecution of officers (none is ever prosecuted in the model), saturating. The hazard is capped at
    `cap`: the cap bounds adoptions so that executions stay within what the reported incidents allow (there is
    no verified count of executions; the source article reports incidents, not a number)."""
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
        f = formation[unit]
        others = sums[SUM_COMPANIES, f] - (1.0 if unit_members[unit] > 0 else 0.0)
        lethal = sums[SUM_LETHAL, f] / others if others > 0 else 0.0  # the unit itself is legal
        impunity = 1.0 - (1.0 - news[2, unit]) * (1.0 - army_news)
        hazard = (base + w_refusals * unit_state[C.U_REFUSALS_RECENT, unit] + w_imitation * lethal
                  + w_impunity * impunity)
        if uniform(key, week, 56, unit) < 1.0 - math.exp(-min(hazard, cap)):
            unit_regime[unit] = C.LETHAL
            flows[C.F_LETHAL_ADOPTIONS, unit_stream[unit]] += 1


def _record_punishments(state: State, n_units: int, unit_penal: np.ndarray, lag: int) -> np.ndarray:
    """Keep this week's punishments, catches and refusers-and-fleers per unit, and return those of `lag`
    weeks ago (what is heard now; zero before the run had that many weeks). The ring holds the units raised so
    far (doubling as more are raised), in float32: the counts are small whole numbers of agents."""
    if state.unit_news is None or state.unit_news.shape[2] < n_units:
        size = max(n_units, 1024 if state.unit_news is None else 2 * state.unit_news.shape[2])
        grown = np.zeros((NEWS_WEEKS, 4, size), np.float32)
        if state.unit_news is not None:
            grown[:, :, : state.unit_news.shape[2]] = state.unit_news
        state.unit_news = grown
    now = state.unit_news[state.week % NEWS_WEEKS]
    now[N_EXECUTED, :n_units] = state.unit_state[C.U_EXECUTIONS_WEEK, :n_units]
    now[N_PENAL, :n_units] = unit_penal[:n_units]
    now[N_CAUGHT, :n_units] = state.unit_state[C.U_CAUGHT_WEEK, :n_units]
    now[N_DEFECTORS, :n_units] = state.unit_state[C.U_DEFECTORS_WEEK, :n_units]
    return state.unit_news[(state.week - min(lag, NEWS_WEEKS - 1)) % NEWS_WEEKS]


def army_news(state: State, ctx: Context) -> tuple[float, float]:
    """Last week's leaked executions (persons) as a saturating weight a / (a + a_half), and the share caught
    where they happened. Information runs after discipline, so the news of week w - 1 is read in week w."""
    if state.week == 0:
        return 0.0, 0.0
    society = state.society
    leaked = society.leak_queue[C.LEAK_EXECUTIONS, state.week - 1]
    if leaked <= 0:
        return 0.0, 0.0
    half = ctx.params.information.soldier_half_saturation.value
    return leaked / (leaked + half), min(society.executions_caught[state.week - 1] / leaked, 1.0)


def units_per_formation(ctx: Context) -> int:
    """Model units in a formation of `formation_companies` companies (at least one)."""
    return max(1, int(round(ctx.params.discipline.formation_companies.value / ctx.companies_per_unit)))


def step(state: State, ctx: Context) -> None:
    d = ctx.params.discipline
    m = ctx.params.mind
    key = ctx.keys["discipline"]
    n_units = int(state.n_units[0])
    unit_penal = np.zeros(n_units)
    _punish(state.army, state.people, state.n_soldiers, state.week, key, regime_table(ctx),
            d.execution_cap_share.value, int(d.detention_weeks.value), int(d.penal_weeks.value), unit_penal,
            state.flows)
    _absentees_and_detainees(state.army, state.people, state.n_soldiers, state.week, key, d.awol_catch_weekly.value,
                             d.deserter_catch_weekly.value, int(d.detention_weeks.value), d.prosecuted_share.value,
                             d.awol_prosecuted_share.value, d.imprisoned_share.value, state.flows)
    _witness(state.army, state.n_soldiers, n_units, d.certainty_learning.value, m.fear_per_execution_share.value,
             m.fear_per_detention_share.value, m.morale_loss_per_execution_share.value,
             m.cohesion_loss_per_execution_share.value, float(ctx.unit_size))
    heard = _record_punishments(state, n_units, unit_penal, int(d.formation_news_lag_weeks.value))
    formation, n_formations = formations(state.unit_stream, n_units, units_per_formation(ctx))
    sums = _formation_sums(formation, n_formations, heard, state.unit_members, state.unit_regime, n_units)
    penal_weight = d.severity_penal.value / d.severity_execution.value if d.severity_execution.value > 0 else 1.0
    news = _unit_news(formation, heard, sums, state.unit_members, n_units, penal_weight, d.news_half_share.value)
    leaked, caught = army_news(state, ctx)
    _hear(state.army, state.n_soldiers, state.week, key, news, d.formation_news_probability.value,
          ctx.params.information.soldier_reach.value, leaked, caught, d.news_learning.value, d.news_fear.value)
    _drift(state.unit_state, state.unit_regime, state.unit_stream, state.unit_members, n_units, state.week, key,
           d.drift_enabled, d.drift_base_hazard.value, d.drift_refusal_weight.value, d.drift_imitation_weight.value,
           d.drift_impunity_weight.value, d.drift_cap.value, formation, sums, news, leaked, state.flows)
    state.recorded["lethal_units"] = float(np.count_nonzero(
        (state.unit_regime[:n_units] == C.LETHAL) & (state.unit_members[:n_units] > 0)))
