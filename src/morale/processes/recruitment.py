"""Recruitment (M1, M3-M6): conscription, contract enlistment, coercion, mobilisation, conversion, convicts.

Quota streams (call-up decrees, mobilisation, coercion) take exactly their size, spread evenly over their
window and shared among regions by the men of the right age; fractions of an agent carry over to the next
week so that totals match the decrees at any scale. Contract enlistment and convict recruitment are hazards
per eligible man. The shortfall response (M4) raises bonuses, coercion and conversion when the front is short.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.person_table import enlist_by_hazard, enlist_by_quota, join_unit
from morale.engine.rng import uniform
from morale.engine.state import State
from morale.scenario.schema import Window

CONTRACT_TYPE = (C.CONTRACT, C.COERCED, C.CONVERTED)  # streams whose deaths shape perceived contract risk
CARRY = {"conscription": 0, "mobilisation": 1, "coerced_prior": 2, "coerced_new": 3}
_DRAW = {"conscription": 1, "mobilisation": 2, "coerced_prior": 3, "coerced_new": 4, "contract": 5,
         "convict_pmc": 6, "convict_ministry": 7}


def expand_windows(windows: list[Window], ctx: Context, repeat_last: bool) -> np.ndarray:
    """Persons to call up in each week of the run; with `repeat_last`, the last spring and autumn decrees
    repeat every year after the data end (DESIGN s.3)."""
    quota = np.zeros(ctx.calendar.n_weeks)
    drives = list(windows)
    if repeat_last and windows:
        last_year = max(w.start.year for w in windows)
        latest = [w for w in windows if w.start.year == last_year]
        for year in range(last_year + 1, ctx.calendar.end.year + 1):
            drives += [w.model_copy(update={"start": w.start.replace(year=year), "end": w.end.replace(year=year)})
                       for w in latest]
    for w in drives:
        # each run week takes the share of the window's days that fall in it, so the total is exact
        days = (w.end - w.start).days + 1
        first = ctx.calendar.week_of(w.start)
        for week in range(max(first, 0), min(ctx.calendar.week_of(w.end) + 1, ctx.calendar.n_weeks)):
            week_start = ctx.calendar.date(week)
            overlap = (min(w.end, week_start + dt.timedelta(days=6)) - max(w.start, week_start)).days + 1
            quota[week] += w.size * overlap / days
    return quota


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` agents among regions in proportion to `weights` (largest remainder, deterministic)."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), np.int64)
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    remainder = total - out.sum()
    out[np.argsort(-(exact - out), kind="stable")[:remainder]] += 1
    return out


def _agents(state: State, ctx: Context, name: str, persons: float) -> int:
    """Whole agents for `persons` this week, carrying the fraction to next week."""
    state.quota_carry[CARRY[name]] += persons / ctx.scale
    whole = int(math.floor(state.quota_carry[CARRY[name]]))
    state.quota_carry[CARRY[name]] -= whole
    return whole


def update_pressure(state: State, ctx: Context) -> None:
    """The state's shortfall response (M4): pressure moves toward gain x the share of demand the front
    lacked after last week's deployment, with a lag, capped by the fiscal ceiling."""
    shortfall = ctx.params.recruitment.shortfall
    demand, front = state.front_deployed
    if not shortfall.enabled:
        state.shortfall_pressure = 0.0
        return
    share = max(demand - front, 0.0) / max(demand, 1.0)
    target = min(shortfall.gain.value * share, shortfall.fiscal_ceiling.value)
    state.shortfall_pressure += (target - state.shortfall_pressure) / max(shortfall.lag_weeks.value, 1.0)


def shortfall_response(strength: float, pressure: float, quantity: str, pinned: list[str]) -> float:
    """The shortfall response's relative rise of a quantity, none when a what-if pins that quantity."""
    return 0.0 if quantity in pinned else strength * pressure


def perceived_contract_risk(state: State, ctx: Context) -> float:
    """Known deaths per contract soldier a year (M3): deaths of contract-type soldiers that have leaked
    (information process) over the last `risk_window_weeks`, over last week's contract-type strength."""
    window = max(1, int(ctx.params.recruitment.contract.risk_window_weeks.value))
    recent = state.society.contract_known[max(0, state.week - window) : state.week]
    weekly = recent.sum() / max(len(recent), 1)
    strength = 0 if state.located is None else state.located[:, list(CONTRACT_TYPE)].sum() * ctx.scale
    return float(weekly * 52.0 / max(strength, 1.0))


def contract_probability(state: State, ctx: Context, bonus_multiplier: float, risk: float) -> np.ndarray:
    """Weekly enlistment probability per region (DESIGN s.5): a logit in log relative pay, log unemployment,
    log poverty, perceived risk and support."""
    p = ctx.params
    c = p.recruitment.contract
    bonus = p.pay.federal_bonus.value + p.pay.regional_bonus.value * bonus_multiplier
    bonus /= p.pay.bonus_amortisation_months.value
    relative_pay = (p.pay.monthly_pay.value + bonus) / state.wage
    x = (c.intercept.value
         + c.wage_elasticity.value * np.log(relative_pay)
         + c.unemployment_elasticity.value * np.log(state.unemployment / p.economy.reference_unemployment.value)
         + c.poverty_elasticity.value * np.log(state.poverty / p.economy.reference_poverty.value)
         - c.risk_weight.value * risk
         + c.support_weight.value * state.society.support_private)
    return 1.0 / (1.0 + np.exp(-x))


def _contract_end(state: State, ctx: Context) -> int:
    if ctx.params.policy.stop_loss:
        return C.NO_END
    return state.week + int(ctx.params.service.contract_term_weeks.value)


def _training(ctx: Context, stream: int) -> int:
    return int(round(ctx.params.training.weeks.values()[stream]))


def _by_quota(state, ctx, name, stream, persons, min_age, max_age, prior, contract_end, deceived_share=0.0,
              summons=False):
    agents = _agents(state, ctx, name, persons)
    if agents == 0:
        return 0
    lo, hi = state.age_slices(min_age, max_age)
    rows = np.maximum(hi - lo, 0)
    # a quota above the men of the right age cannot be filled: the excess is unfilled, not allocated
    wanted = agents
    agents = min(agents, int(rows.sum()))
    quota = allocate(agents, rows.astype(float))
    if summons:  # call-up papers go to more men than are taken (the exit ban binds them all)
        extra = allocate(int(round(agents * (ctx.params.emigration.summons_per_recruit.value - 1.0))),
                         rows.astype(float))
        issue_summons(state.status, state.society.summoned, lo, hi, extra, ctx.keys["recruitment"], state.week,
                      _DRAW[name] + 100, state.society.counts, state.flows)
    state.ensure_soldier_capacity(agents)
    n, unfilled = enlist_by_quota(
        state.army, state.people, state.n_soldiers, ctx.unit_size, lo, hi, quota, prior,
        ctx.keys["recruitment"], state.week, _DRAW[name], stream, _training(ctx, stream), contract_end,
        deceived_share, state.flows, state.region_flows)
    state.n_soldiers = n
    return unfilled + wanted - agents


def _by_hazard(state, ctx, name, stream, p_region, min_age, max_age, eligible_status, contract_end):
    lo, hi = state.age_slices(min_age, max_age)
    expected = float((p_region * (hi - lo)).sum())
    state.ensure_soldier_capacity(int(10 * expected + 6 * math.sqrt(expected) + 1000))
    n = enlist_by_hazard(
        state.army, state.people, state.n_soldiers, ctx.unit_size, lo, hi, p_region, eligible_status,
        ctx.keys["recruitment"], state.week, _DRAW[name], stream, _training(ctx, stream), contract_end,
        state.flows, state.region_flows)
    if n < 0:
        raise RuntimeError("soldier table overflow: more recruits than the capacity bound allowed")
    state.n_soldiers = n
    return expected


def step(state: State, ctx: Context) -> None:
    p = ctx.params
    r = p.recruitment
    week = state.week
    update_pressure(state, ctx)
    pressure = state.shortfall_pressure
    unfilled = 0

    upper = r.conscription.upper_age.value
    unfilled += _by_quota(state, ctx, "conscription", C.CONSCRIPT, ctx.derived["conscription_quota"][week],
                          18, upper, 0, C.NO_END, summons=True)
    unfilled += _by_quota(state, ctx, "mobilisation", C.MOBILISED, ctx.derived["mobilisation_quota"][week],
                          18, r.mobilisation_max_age.value, 1, C.NO_END, summons=True)

    # a quantity pinned by --set is held fixed: the shortfall response does not move it either
    pinned = p.pinned
    coercion = r.coercion
    coerced = coercion.weekly_quota.value * (1.0 + shortfall_response(r.shortfall.coercion_response.value, pressure,
                                                               "recruitment.coercion.weekly_quota", pinned))
    end = _contract_end(state, ctx)
    share_new = coercion.without_prior_share.value
    unfilled += _by_quota(state, ctx, "coerced_prior", C.COERCED, coerced * (1 - share_new), 18,
                          coercion.max_age.value, 1, end)
    unfilled += _by_quota(state, ctx, "coerced_new", C.COERCED, coerced * share_new, 18,
                          coercion.max_age.value, 0, end)

    risk = perceived_contract_risk(state, ctx)
    bonus_multiplier = 1.0 + shortfall_response(r.shortfall.bonus_response.value, pressure, "pay.regional_bonus",
                                                pinned)
    p_contract = contract_probability(state, ctx, bonus_multiplier, risk)
    expected = _by_hazard(state, ctx, "contract", C.CONTRACT, p_contract, 18, r.contract.max_age.value,
                          C.CIVILIAN, end)
    without_response = _expected_hits(state, r.contract.max_age.value,
                                      contract_probability(state, ctx, 1.0, risk))

    conversion = r.conversion
    hazard = conversion.weekly_hazard.value * (1.0 + shortfall_response(r.shortfall.conversion_response.value, pressure,
                                                                "recruitment.conversion.weekly_hazard", pinned))
    if hazard > 0:
        convert_conscripts(state.army, state.region, state.n_soldiers, 1.0 - math.exp(-hazard),
                           conversion.deceived_share.value, ctx.keys["recruitment"], week, ctx.unit_size,
                           _training(ctx, C.CONVERTED), end, state.flows, state.region_flows)

    convicts = r.convicts
    convict_end = week + int(convicts.contract_weeks.value)
    n_regions = len(ctx.regions)
    for allowed, hazard, stream in (
        (p.policy.pmc_recruits_convicts, convicts.pmc_weekly_hazard.value, C.CONVICT_PMC),
        (p.policy.ministry_recruits_convicts, convicts.ministry_weekly_hazard.value, C.CONVICT_MINISTRY),
    ):
        if allowed and hazard > 0:
            p_convict = np.full(n_regions, 1.0 - math.exp(-hazard))
            _by_hazard(state, ctx, C.STREAM_NAMES[stream], stream, p_convict, 18, convicts.max_age.value,
                       C.IMPRISONED, convict_end)

    state.recorded["quota_unfilled"] = unfilled * ctx.scale
    state.recorded["contract_risk_perceived"] = risk
    state.recorded["shortfall_pressure"] = pressure
    coercion_extra = coerced - coercion.weekly_quota.value
    state.recorded["recruits_from_response"] = (expected - without_response) * ctx.scale + coercion_extra


@njit(cache=True)
def issue_summons(status, summoned, lo, hi, quota, key, week, draw_stream, counts, flows):
    """Call-up papers to quota[r] civilians of rows lo[r]:hi[r] not yet summoned."""
    for r in range(len(lo)):
        wanted = quota[r]
        size = hi[r] - lo[r]
        counter = 0
        tries_left = 50 * wanted + 100
        while wanted > 0 and tries_left > 0 and size > 0:
            i = lo[r] + int(uniform(key, week, draw_stream * 4096 + r, counter) * size)
            counter += 1
            tries_left -= 1
            if status[i] == C.CIVILIAN and summoned[i] == 0:
                summoned[i] = 1
                counts[3] += 1
                flows[C.F_SUMMONED, 0] += 1
                wanted -= 1


@njit(cache=True)
def convert_conscripts(army, region, n_soldiers, p, deceived_share, key, week, unit_size, extra_training,
                       contract_end, flows, region_flows):
    """Conscripts in training or the rear are pressed or deceived into contracts (M5) with probability p,
    which makes them deployable; they move to a company of converted soldiers."""
    soldiers, unit_members = army[0], army[3]
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        if soldiers[C.S_STREAM, row] != C.CONSCRIPT or (location != C.TRAINING and location != C.REAR):
            continue
        if uniform(key, week, 9000, row) >= p:
            continue
        unit_members[soldiers[C.S_UNIT, row]] -= 1
        soldiers[C.S_STREAM, row] = C.CONVERTED
        join_unit(army, row, C.CONVERTED, unit_size)
        soldiers[C.S_CONTRACT_END, row] = contract_end
        if uniform(key, week, 9001, row) < deceived_share:
            soldiers[C.S_DECEIVED, row] = 1
            flows[C.F_DECEIVED, C.CONVERTED] += 1
            region_flows[C.RF_COERCED_RECRUITS, region[soldiers[C.S_PERSON, row]]] += 1
        soldiers[C.S_TRAINING_NEEDED, row] = soldiers[C.S_TRAINING, row] + extra_training
        if extra_training > 0:
            soldiers[C.S_LOCATION, row] = C.TRAINING
        flows[C.F_RECRUITS, C.CONVERTED] += 1
        region_flows[C.RF_RECRUITS, region[soldiers[C.S_PERSON, row]]] += 1


def _expected_hits(state: State, max_age: float, p_region: np.ndarray) -> float:
    lo, hi = state.age_slices(18, max_age)
    return float((p_region * (hi - lo)).sum())
