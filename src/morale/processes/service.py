"""Service and demography: discharges, pardons, contract ends, ageing, natural deaths, new cohorts, prisons.

- Conscripts leave after `service.conscript_weeks` (unless converted); convicts are pardoned and released
  when their six-month contract ends (M6); contract soldiers leave at the end of their term unless stop-loss
  is in force. Discharged men become reservists, refilling the pool that coercion and mobilisation draw on.
- Men turning 60 leave the modelled population as `aged_out`; men turning 18 enter as civilians; everyone
  alive at home faces Gompertz natural mortality.
- New convictions refill the prison pool and sentences end, so the convict pool never drains by construction.
"""

from __future__ import annotations

import math

from numba import njit

from morale.engine import codes as C
from morale.engine.calendar import WEEKS_PER_YEAR
from morale.engine.context import Context
from morale.engine.person_table import hazard_hits, leave_service, set_status
from morale.engine.rng import uniform
from morale.engine.state import ENTRY_WEEKS, EXIT_WEEKS, State


@njit(cache=True)
def _discharge(army, people, n_soldiers, week, conscript_weeks, stop_loss, flows):
    soldiers = army[0]
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        if location == C.REMOVED or location == C.CAPTURED or location >= C.AWOL:
            continue  # captives, absentees, deserters and detainees are not discharged
        soldiers[C.S_SERVED, row] += 1
        stream = soldiers[C.S_STREAM, row]
        end = soldiers[C.S_CONTRACT_END, row]
        if stream == C.CONSCRIPT:
            if soldiers[C.S_SERVED, row] >= conscript_weeks:
                leave_service(army, people, row, C.CIVILIAN)
                flows[C.F_DISCHARGED, stream] += 1
        elif stream == C.CONVICT_PMC or stream == C.CONVICT_MINISTRY:
            if end >= 0 and end <= week:
                leave_service(army, people, row, C.CIVILIAN)
                flows[C.F_PARDONED, stream] += 1
        elif end >= 0 and end <= week and not stop_loss:
            leave_service(army, people, row, C.CIVILIAN)
            flows[C.F_DISCHARGED, stream] += 1


@njit(cache=True)
def _age(army, people, block, next_exit, next_entry, week, flows):
    """Advance the per-region pointers: men turning 60 age out, men turning 18 enter."""
    status, birth_week, soldier_of = people[0], people[4], army[1]
    for r in range(len(block) - 1):
        row = next_exit[r]
        while row < next_entry[r] and birth_week[row] + EXIT_WEEKS <= week:
            s = status[row]
            if s == C.SERVING:
                leave_service(army, people, soldier_of[row], C.AGED_OUT)
                flows[C.F_AGEING_OUT, 0] += 1
            elif s != C.DEAD and s != C.AGED_OUT:
                set_status(people, row, C.AGED_OUT)
                flows[C.F_AGEING_OUT, 0] += 1
            row += 1
        next_exit[r] = row
        row = next_entry[r]
        while row < block[r + 1] and birth_week[row] + ENTRY_WEEKS <= week:
            set_status(people, row, C.CIVILIAN)
            flows[C.F_ENTERED, 0] += 1
            row += 1
        next_entry[r] = row


@njit(cache=True)
def _natural_deaths(army, people, n_people, week, key, m18, growth, flows):
    """Gompertz mortality m(age) = m18 exp(growth (age - 18)) a year, by thinning hits drawn at the maximum."""
    status, birth_week, soldier_of = people[0], people[4], army[1]
    weekly_max = m18 * math.exp(growth * 42.0) / (365.25 / 7.0)
    p_max = 1.0 - math.exp(-weekly_max)
    for row in hazard_hits(0, n_people, p_max, key, week, 10):
        s = status[row]
        if s != C.CIVILIAN and s != C.SERVING and s != C.IMPRISONED and s != C.JAILED:
            continue
        age = (week - birth_week[row]) / (365.25 / 7.0)
        p = 1.0 - math.exp(-m18 * math.exp(growth * (age - 18.0)) / (365.25 / 7.0))
        if uniform(key, week, 11, row) * p_max >= p:
            continue
        if s == C.SERVING:
            leave_service(army, people, soldier_of[row], C.DEAD)
        else:
            set_status(people, row, C.DEAD)
        flows[C.F_NATURAL_DEATHS, 0] += 1


@njit(cache=True)
def _prisons(people, n_people, week, key, p_conviction, p_release, flows):
    status = people[0]
    for row in hazard_hits(0, n_people, p_release, key, week, 20):
        if status[row] == C.IMPRISONED:
            set_status(people, row, C.CIVILIAN)
            flows[C.F_PRISON_RELEASED, 0] += 1
    for row in hazard_hits(0, n_people, p_conviction, key, week, 21):
        if status[row] == C.CIVILIAN:
            set_status(people, row, C.IMPRISONED)
            flows[C.F_CONVICTED, 0] += 1


def prison_hazards(ctx: Context, civilians_at_start: float) -> tuple[float, float]:
    """Weekly release and conviction probabilities that hold the pre-war prison population steady."""
    pop = ctx.params.population
    sentence_weeks = pop.prison_sentence_years.value * WEEKS_PER_YEAR
    prisoners = pop.prison_population.value * pop.prison_men_18_59_share.value
    p_release = 1.0 - math.exp(-1.0 / sentence_weeks)
    p_conviction = 1.0 - math.exp(-(prisoners / sentence_weeks) / max(civilians_at_start, 1.0))
    return p_release, p_conviction


def step(state: State, ctx: Context) -> None:
    p = ctx.params
    key = ctx.keys["service"]
    _discharge(state.army, state.people, state.n_soldiers, state.week, int(p.service.conscript_weeks.value),
               p.policy.stop_loss, state.flows)
    _age(state.army, state.people, state.block, state.next_exit, state.next_entry, state.week, state.flows)
    n_people = len(state.status)
    _natural_deaths(state.army, state.people, n_people, state.week, key, p.population.mortality_at_18.value,
                    p.population.mortality_growth.value, state.flows)
    _prisons(state.people, n_people, state.week, key, ctx.derived["p_conviction"], ctx.derived["p_release"],
             state.flows)
