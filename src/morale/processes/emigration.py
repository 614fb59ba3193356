"""Emigration (M14): men leave to avoid service, unemployment or repression; an exit ban slows them.

A civilian's weekly hazard is

    h = h0 exp(b_T threat + V 0.5^(w / H_V) + b_G G + b_U ln(U_r / U0) + b_P repression_r + b_S summoned)
          (1 - ban x summoned x e)

h0 is the pre-war hazard; V 0.5^(w / H_V) the flight that followed the invasion itself (week w of the war),
fading with half-life H_V.

threat is the recruitment pressure, men called per 1000 men of 18-59 (M):

    threat_w = threat_(w-1) 0.5^(1 / H_w) + 1000 (A_w + C_w) / M

A_w is the whole quota of a mobilisation wave announced in week w (a dated window or one the ladder declared;
0 in any other week): men flee the announcement (21 Sep 2022: 300,000), not the weekly intake, so the threat
peaks at once and decays while the quota is filled. C_w is the week's coerced intake, a trickle announced as it
is taken. H_w is `threat_half_life_weeks` while a mobilisation quota is being filled, and the shorter
`threat_filled_half_life_weeks` once it is: a filled quota calls nobody else. G is his grievance
(opposition); summoned whether a call-up paper was issued to him; the exit ban binds the summoned only (the
law of 2023-04-14), so its effect is coverage x enforcement. Emigrants leave every pool; they return at a
hazard that falls with time abroad. Work is proportional to the men who move: hits are drawn at each region's
maximum hazard and thinned to the man's own.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.person_table import set_status
from morale.engine.rng import geometric_gap, uniform
from morale.engine.state import State
from morale.processes.opposition import legitimacy_parameters, lowest_legitimacy, person_grievance


@njit(cache=True)
def _emigrate(people, summoned, block, limit, abroad, counts, regional_hazard, hardship, index, family_share,
              legitimacy_params, grievance_weight, summoned_weight, ban_factor, return_hazard, return_decay,
              attributes_key, key, week, flows, region_flows):
    status = people[0]
    for r in range(len(block) - 1):
        # G = H (1 - L) is at most min(1, 2 hardship) (1 - the lowest legitimacy)
        g_max = min(1.0, 2.0 * hardship[r]) * (1.0 - lowest_legitimacy(legitimacy_params))
        h_max = regional_hazard[r] * math.exp(grievance_weight * g_max + summoned_weight)
        p_max = 1.0 - math.exp(-h_max)
        if p_max <= 0.0:
            continue
        log_q = math.log1p(-min(p_max, 0.999999))
        row = block[r] - 1
        counter = 0
        while True:
            row += geometric_gap(uniform(key, week, 20000 + r, counter), log_q) + 1
            counter += 1
            if row >= limit[r]:
                break
            if status[row] != C.CIVILIAN:
                continue
            g = person_grievance(row, r, hardship, index, family_share, legitimacy_params, attributes_key)
            h = regional_hazard[r] * math.exp(grievance_weight * g + summoned_weight * summoned[row])
            if summoned[row]:
                h *= ban_factor
            if uniform(key, week, 30000 + r, counter) * p_max >= 1.0 - math.exp(-h):
                continue
            if counts[2] >= abroad.shape[1]:
                return -1
            set_status(people, row, C.EMIGRATED)
            abroad[C.B_PERSON, counts[2]] = row
            abroad[C.B_LEFT, counts[2]] = week
            counts[2] += 1
            flows[C.F_EMIGRANTS, 0] += 1
            if summoned[row]:
                flows[C.F_SUMMONED_EMIGRANTS, 0] += 1
            region_flows[C.RF_EMIGRANTS, r] += 1
    # returns: hits at the hazard of a man just gone, thinned by time abroad; men no longer abroad (aged out)
    # are dropped from the list when a hit finds them
    p_max = 1.0 - math.exp(-return_hazard)
    log_q = math.log1p(-min(p_max, 0.999999))
    i = counts[2]
    counter = 0
    while p_max > 0.0:  # a zero return hazard: nobody returns
        i -= geometric_gap(uniform(key, week, 40000, counter), log_q) + 1
        counter += 1
        if i < 0:
            break
        person = abroad[C.B_PERSON, i]
        leave = status[person] != C.EMIGRATED
        p = 1.0 - math.exp(-return_hazard * math.exp(-(week - abroad[C.B_LEFT, i]) / return_decay))
        if not leave and uniform(key, week, 7, person) * p_max < p:
            set_status(people, person, C.CIVILIAN)
            flows[C.F_RETURNEES, 0] += 1
            leave = True
        if leave:
            last = counts[2] - 1
            abroad[:, i] = abroad[:, last]
            counts[2] = last
    return 0


def announced_wave(quota: np.ndarray, week: int) -> float:
    """Men a mobilisation wave calls up in all, in the week it begins, else 0. A wave is a run of weeks with a
    quota (the ladder adds its waves to the same weekly quota), announced whole in its first week."""
    if quota[week] <= 0 or (week > 0 and quota[week - 1] > 0):
        return 0.0
    end = week
    while end < len(quota) and quota[end] > 0:
        end += 1
    return float(quota[week:end].sum())


def step(state: State, ctx: Context) -> None:
    e = ctx.params.emigration
    s = state.society
    if not e.enabled:
        return
    men = ctx.derived["men_by_region"]
    quota = ctx.derived["mobilisation_quota"]
    filling = quota[state.week] > 0
    half_life = (e.threat_half_life_weeks if filling else e.threat_filled_half_life_weeks).value
    called = announced_wave(quota, state.week) + state.flows[C.F_RECRUITS, C.COERCED] * ctx.scale
    s.threat = s.threat * 0.5 ** (1.0 / half_life) + called / men.sum() * 1000.0
    invasion = e.invasion_shock.value * 0.5 ** (state.week / e.invasion_half_life_weeks.value)
    regional_hazard = e.base_weekly_hazard.value * np.exp(
        e.threat_weight.value * s.threat + invasion
        + e.unemployment_weight.value * np.log(state.unemployment / ctx.params.economy.reference_unemployment.value)
        + e.repression_weight.value * s.repression)
    ban_factor = 1.0 - e.ban_enforcement.value if ctx.params.policy.exit_ban else 1.0
    # room for every man the regions' highest hazards could take this week
    bound = float((1.0 - np.exp(-regional_hazard * math.exp(e.grievance_weight.value + e.summoned_weight.value)))
                  @ np.diff(state.block))
    s.make_room("abroad", int(bound + 8 * math.sqrt(bound) + 64))
    full = _emigrate(state.people, s.summoned, state.block, state.next_entry, s.abroad, s.counts, regional_hazard,
                     s.hardship, s.opinion_index, s.family_share, legitimacy_parameters(ctx), e.grievance_weight.value,
                     e.summoned_weight.value, ban_factor,
                     e.return_weekly_hazard.value, e.return_decay_weeks.value, ctx.keys["attributes"],
                     ctx.keys["emigration"], state.week, state.flows, state.region_flows)
    if full < 0:
        raise RuntimeError("emigrant table overflowed its bound; this is a bug")
    state.recorded["emigration_threat"] = s.threat
    # the targets count people of both sexes; the model's emigrants are men of 18-59
    share = e.men_share_of_departures.value
    state.recorded["emigrant_departures"] = state.flows[C.F_EMIGRANTS].sum() * ctx.scale / share
    state.recorded["abroad_both_sexes"] = state.status_agents[C.EMIGRATED] * ctx.scale / share
    created = state.status_agents[: C.UNBORN].sum()
    state.recorded["ban_coverage"] = float(s.counts[3]) / max(created, 1)  # men ever summoned
