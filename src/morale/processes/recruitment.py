"""Recruitment (M1, M3-M6): conscription, contract enlistment, coercion, mobilisation, conversion, convicts,
volunteer formations, defendants and foreign recruits.

Quota streams (call-up decrees, mobilisation, coercion, volunteer formations, defendants) take exactly their
size, spread evenly over their window and shared among regions by the men of the right age; fractions of an
agent carry over to the next week so that totals match the decrees at any scale. Contract enlistment draws on
the willing (`engine.willingness`): men whose fixed rank is below their region's willing share sign at a weekly
hazard, so supply at given terms falls as they are used up. Convict recruitment is a hazard per prisoner.
Foreign recruits are a stock outside the person table. The response ladder (`manpower`, M4) raises regional
bonuses, coercion, conversion and convict recruitment when the army is short; every stream but the decreed
call-ups fills only the room the authorised strength leaves.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine import willingness
from morale.engine.context import Context
from morale.engine.person_table import enlist_by_hazard, enlist_by_quota, exempt, join_unit
from morale.engine.rng import uniform
from morale.engine.state import State
from morale.processes.manpower import COERCION, CONVICTS, headroom, regional_bonus_floor, rung
from morale.scenario.schema import Window

CONTRACT_TYPE = (C.CONTRACT, C.COERCED, C.CONVERTED, C.VOLUNTEER)  # streams whose deaths shape perceived contract risk
CARRY = {"conscription": 0, "mobilisation": 1, "coerced_prior": 2, "coerced_new": 3, "volunteer": 4, "defendant": 5}
_DRAW = {"conscription": 1, "mobilisation": 2, "coerced_prior": 3, "coerced_new": 4, "contract": 5,
         "convict_pmc": 6, "convict_ministry": 7, "volunteer": 8, "defendant": 9}


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


def perceived_contract_risk(state: State, ctx: Context) -> float:
    """Known deaths per contract soldier a year (M3): deaths of contract-type soldiers that have leaked
    (information process) over the last `risk_window_weeks`, over last week's contract-type strength."""
    window = max(1, int(ctx.params.recruitment.contract.risk_window_weeks.value))
    recent = state.society.contract_known[max(0, state.week - window) : state.week]
    weekly = recent.sum() / max(len(recent), 1)
    strength = 0 if state.located is None else state.located[:, list(CONTRACT_TYPE)].sum() * ctx.scale
    return float(weekly * 52.0 / max(strength, 1.0))


def willing_share(state: State, ctx: Context, regional_bonus: np.ndarray, risk: float) -> np.ndarray:
    """Share of a region's men aged 25 whose terms today's contract meets (DESIGN s.5; `engine.willingness`):
    a logit in log relative pay (war-zone pay and the federal and regional bonuses amortised), log
    unemployment, log poverty, perceived risk and support. Where the share is small, each coefficient is the
    elasticity of the willing, so of supply, to its term."""
    c = ctx.params.recruitment.contract
    x = (_economic_index(ctx, regional_bonus, state.wage, state.unemployment, state.poverty)
         - c.risk_weight.value * risk + c.support_weight.value * state.society.support_private)
    return 1.0 / (1.0 + np.exp(-x))


def prewar_willing_share(ctx: Context) -> np.ndarray:
    """The willing share at the terms and regional economies of the year before the start (no risk known),
    up to the support term, the same in every region before the war: what ranks the regions' pre-war army."""
    regions = ctx.regions
    year = regions.year_index(ctx.calendar.start.year - 1)
    x = _economic_index(ctx, np.full(len(regions), ctx.params.pay.regional_bonus.value), regions.wage[:, year],
                        regions.unemployment[:, year], regions.poverty[:, year])
    return 1.0 / (1.0 + np.exp(-x))


def _economic_index(ctx: Context, regional_bonus, wage, unemployment, poverty) -> np.ndarray:
    p = ctx.params
    c = p.recruitment.contract
    bonus = (p.pay.federal_bonus.value + regional_bonus) / p.pay.bonus_amortisation_months.value
    relative_pay = (p.pay.monthly_pay.value + bonus) / wage
    return (c.intercept.value
            + c.wage_elasticity.value * np.log(relative_pay)
            + c.unemployment_elasticity.value * np.log(unemployment / p.economy.reference_unemployment.value)
            + c.poverty_elasticity.value * np.log(poverty / p.economy.reference_poverty.value))


def willing_pool(state: State, ctx: Context, share: np.ndarray) -> np.ndarray:
    """Willing civilians (agents) of contract age per region at willing share `share`, recounted every
    `willingness.COUNT_EVERY_WEEKS`."""
    if state.willing_counted < 0 or state.week - state.willing_counted >= willingness.COUNT_EVERY_WEEKS:
        c = ctx.params.recruitment.contract
        lo, hi = state.age_slices(18, c.max_age.value)
        state.willing_counts = willingness.count_by_rank(
            state.status, state.birth_week, lo, hi, state.week, ctx.keys["attributes"],
            c.willingness_age_decline.value)
        state.willing_counted = state.week
        state.willing_taken[:] = 0.0
    return willingness.pool(state.willing_counts, state.willing_taken, share)


def _contract_end(state: State, ctx: Context) -> int:
    if ctx.params.policy.stop_loss:
        return C.NO_END
    return state.week + int(ctx.params.service.contract_term_weeks.value)


def _training(ctx: Context, stream: int) -> int:
    return int(round(ctx.params.training.weeks.values()[stream]))


def _by_quota(state, ctx, name, stream, persons, min_age, max_age, prior, contract_end, deceived_share=0.0,
              summons=False, exempt_share=0.0):
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
                      _DRAW[name] + 100, state.society.counts, state.flows, exempt_share, ctx.keys["attributes"])
    state.ensure_soldier_capacity(agents)
    n, unfilled = enlist_by_quota(
        state.army, state.people, state.n_soldiers, ctx.unit_size, lo, hi, quota, prior,
        ctx.keys["recruitment"], state.week, _DRAW[name], stream, _training(ctx, stream), contract_end,
        deceived_share, state.flows, state.region_flows, exempt_share, ctx.keys["attributes"])
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


def _sign_contracts(state: State, ctx: Context, share: np.ndarray, hazard: float, expected: float,
                    contract_end: int) -> None:
    """The willing of contract age sign at `hazard` (the signing hazard times the room's share)."""
    c = ctx.params.recruitment.contract
    lo, hi = state.age_slices(18, c.max_age.value)
    state.ensure_soldier_capacity(int(10 * expected + 6 * math.sqrt(expected) + 1000))
    n = willingness.enlist_willing(
        state.army, state.people, state.n_soldiers, ctx.unit_size, lo, hi, share, np.full(len(ctx.regions), hazard),
        ctx.keys["attributes"], ctx.keys["recruitment"], state.week, _DRAW["contract"],
        c.willingness_age_decline.value, _training(ctx, C.CONTRACT), contract_end, state.willing_taken, state.flows,
        state.region_flows)
    if n < 0:
        raise RuntimeError("soldier table overflow: more recruits than the capacity bound allowed")
    state.n_soldiers = n


def _response(ctx: Context, base: float, response: float, intensity: float, path: str) -> float:
    """A quantity the ladder raises: its base (dated events) plus the rung's engaged share of its response;
    a quantity pinned by --set is held fixed, so the ladder does not move it."""
    return base if path in ctx.params.pinned else base + intensity * response


def step(state: State, ctx: Context) -> None:
    p = ctx.params
    r = p.recruitment
    week = state.week
    unfilled = 0
    recruited = state.flows[C.F_RECRUITS]

    # decreed call-ups are inputs; the other streams share the room the authorised strength leaves
    upper = r.conscription.upper_age.value
    unfilled += _by_quota(state, ctx, "conscription", C.CONSCRIPT, ctx.derived["conscription_quota"][week],
                          18, upper, 0, C.NO_END, summons=True, exempt_share=r.conscription.exempt_share.value)
    unfilled += _by_quota(state, ctx, "mobilisation", C.MOBILISED, ctx.derived["mobilisation_quota"][week],
                          18, r.mobilisation_max_age.value, 1, C.NO_END, summons=True)
    room = headroom(state, ctx) - recruited[C.CONSCRIPT] - recruited[C.MOBILISED]

    end = _contract_end(state, ctx)
    regional_bonus_floor(state, ctx)
    risk = perceived_contract_risk(state, ctx)
    c = r.contract
    share = willing_share(state, ctx, state.regional_bonus, risk)
    share_floor = willing_share(state, ctx, np.full(len(ctx.regions), p.pay.regional_bonus.value), risk)
    coercion, conversion, convicts = r.coercion, r.conversion, r.convicts
    coerced = _response(ctx, coercion.weekly_quota.value, coercion.response_weekly_quota.value,
                        rung(state, COERCION), "recruitment.coercion.weekly_quota")
    ministry = _response(ctx, convicts.ministry_weekly_hazard.value, convicts.ministry_response_weekly_hazard.value,
                         rung(state, CONVICTS), "recruitment.convicts.ministry_weekly_hazard")
    p_ministry = 1.0 - math.exp(-ministry) if p.policy.ministry_recruits_convicts else 0.0
    volunteers = ctx.derived["volunteer_quota"][week]
    # defendants sign before trial instead of going to prison: a share of this week's expected convictions
    defendants = (convicts.defendant_share.value * ctx.derived["p_conviction"] * state.status_agents[C.CIVILIAN]
                  * ctx.scale if p.policy.defendants_may_sign else 0.0)
    # each stream gets the same share of what it would bring, so that none crowds out the others
    signing = c.signing_weekly_hazard.value
    by_region = willing_pool(state, ctx, share) * signing
    expected = float(by_region.sum())
    at_floor = float((willing_pool(state, ctx, share_floor) * signing).sum())  # as `expected`, term by term
    wanted = (expected + (coerced + volunteers + defendants) / ctx.scale
              + p_ministry * state.status_agents[C.IMPRISONED])
    within = min(1.0, max(room, 0.0) / wanted) if wanted > 0 else 1.0

    state.willing_share = share  # willingness at today's terms, whether or not the army has room
    # what a region's men would sign at its bonus: its quota is judged on that, not on the room the army has
    state.expected_signed = by_region * ctx.scale
    _sign_contracts(state, ctx, share, signing * within, expected, end)
    from_money = (expected - at_floor) * within

    # volunteer formations (BARS reservists' battalions, regional volunteer units) sign ministry contracts
    unfilled += _by_quota(state, ctx, "volunteer", C.VOLUNTEER, volunteers * within, 18, r.volunteer_max_age.value, 1,
                          end)

    share_new = coercion.without_prior_share.value
    unfilled += _by_quota(state, ctx, "coerced_prior", C.COERCED, coerced * within * (1 - share_new), 18,
                          coercion.max_age.value, 1, end)
    unfilled += _by_quota(state, ctx, "coerced_new", C.COERCED, coerced * within * share_new, 18,
                          coercion.max_age.value, 0, end)

    hazard = _response(ctx, conversion.weekly_hazard.value, conversion.response_weekly_hazard.value,
                       rung(state, COERCION), "recruitment.conversion.weekly_hazard")
    if hazard > 0:  # a conversion changes a conscript's stream, not the headcount: no room needed
        convert_conscripts(state.army, state.region, state.n_soldiers, 1.0 - math.exp(-hazard),
                           conversion.deceived_share.value, ctx.keys["recruitment"], week, ctx.unit_size,
                           _training(ctx, C.CONVERTED), end, state.flows, state.region_flows)

    convict_end = week + int(convicts.contract_weeks.value)
    from_prison = recruited[C.CONVICT_MINISTRY]  # defendants join the ministry's convicts but not from prison
    unfilled += _by_quota(state, ctx, "defendant", C.CONVICT_MINISTRY, defendants * within, 18, convicts.max_age.value,
                          -1, convict_end)
    state.recorded["recruits_defendant"] = (recruited[C.CONVICT_MINISTRY] - from_prison) * ctx.scale
    n_regions = len(ctx.regions)
    for allowed, p_convict, stream in (  # the private company's convicts are outside the Armed Forces
        (p.policy.pmc_recruits_convicts, 1.0 - math.exp(-convicts.pmc_weekly_hazard.value), C.CONVICT_PMC),
        (p.policy.ministry_recruits_convicts, p_ministry * within, C.CONVICT_MINISTRY),
    ):
        if allowed and p_convict > 0:
            _by_hazard(state, ctx, C.STREAM_NAMES[stream], stream, np.full(n_regions, p_convict), 18,
                       convicts.max_age.value, C.IMPRISONED, convict_end)

    # foreigners are not men of the modelled population: a stock at the front, outside the person table
    state.foreign_front += ctx.derived["foreign_quota"][week]
    state.recorded["recruits_foreign"] = ctx.derived["foreign_quota"][week]

    scale = ctx.scale
    state.recorded["quota_unfilled"] = unfilled * scale
    state.recorded["contract_risk_perceived"] = risk
    state.recorded["recruits_from_response"] = _from_response(state, ctx, from_money, coerced, hazard, ministry)


def _from_response(state: State, ctx: Context, from_money: float, coerced: float, conversion: float,
                   ministry: float) -> float:
    """Recruits (persons) the ladder brought this week: contracts due to regional bonuses above the decreed
    floor (expected), the ladder's share of coercion, conversion and ministry convicts, and a declared
    mobilisation's intake."""
    r = ctx.params.recruitment
    recruited = state.flows[C.F_RECRUITS] * ctx.scale
    week = state.week

    def ladder_share(total: float, base: float) -> float:
        return max(total - base, 0.0) / total if total > 0 else 0.0

    quota = ctx.derived["mobilisation_quota"][week]
    declared = ctx.derived["declared_mobilisation"][week]
    return (from_money * ctx.scale
            + recruited[C.COERCED] * ladder_share(coerced, r.coercion.weekly_quota.value)
            + recruited[C.CONVERTED] * ladder_share(conversion, r.conversion.weekly_hazard.value)
            + (recruited[C.CONVICT_MINISTRY] - state.recorded["recruits_defendant"])
            * ladder_share(ministry, r.convicts.ministry_weekly_hazard.value)
            + recruited[C.MOBILISED] * (declared / quota if quota > 0 else 0.0))


@njit(cache=True)
def issue_summons(status, summoned, lo, hi, quota, key, week, draw_stream, counts, flows, exempt_share,
                  attributes_key):
    """Call-up papers to quota[r] civilians of rows lo[r]:hi[r] not yet summoned nor exempt."""
    for r in range(len(lo)):
        wanted = quota[r]
        size = hi[r] - lo[r]
        counter = 0
        tries_left = 50 * wanted + 100
        while wanted > 0 and tries_left > 0 and size > 0:
            i = lo[r] + int(uniform(key, week, draw_stream * 4096 + r, counter) * size)
            counter += 1
            tries_left -= 1
            if status[i] == C.CIVILIAN and summoned[i] == 0 and not exempt(i, exempt_share, attributes_key):
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
        region_flows[C.RF_SIGNED, region[soldiers[C.S_PERSON, row]]] += 1
