"""The manpower balance and the state's response ladder (M4, M5): the article's causal chain, live.

**The balance.** The requirement is the war zone (front demand over the front's share of the zone, the path
from official claims) plus the deployable soldiers the army keeps outside it (`army.home_requirement`).
Strength is the deployable soldiers at the front or in the rear, counted at the end of the week: after the
week's losses (combat, discipline, discharges, ageing) and before next week's replacement. The authorised
strength (presidential decrees; the latest holds until a newer one) caps the Armed Forces' personnel:
recruitment fills only the room below it (`headroom`).

**The ladder.** The shortfall share s is the shortfall over the war zone's requirement (the army outside the
war zone is kept first, so what is missing is missing in the war zone). The state climbs when s is above a
tolerance and climbs down below it:

    level += clip((s - tolerance) / tolerance, -1, 1) / (lag_weeks when climbing, descent_weeks when not)

with the level in [0, 4] rungs. Rung k is engaged by clip(level - k, 0, 1), in order of cost and
visibility: 0 money (regions raise their sign-up bonuses against their quotas, under their budgets and the
federal defence line), 1 coercion and deception (coerced enlistment, conscripts converted to contracts),
2 convicts (the ministry recruits from prisons where the law allows it), 3 a new mobilisation (a political
decision: declared at the top rung when short by more than a threshold and no mobilisation for a cooldown;
its cost in support is opinion's mobilisation term). Where money binds, the shortfall stays and the level
climbs on to coercion. The 2022 mobilisation is a dated input: it happened.

**Failure.** The requirement fails when the war zone is short by more than `failure_share` for
`FAILURE_WEEKS` consecutive weeks with the ladder at its top rung; `morale.engine.observe` reports the
sustainment horizon as the time until that line is crossed at current rates.
"""

from __future__ import annotations

import numpy as np

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.person_table import located_by_stream
from morale.engine.state import State
from morale.processes.deployment import front_demand
from morale.processes.economy import fiscal_cost

RUNGS = ("money", "coercion", "convicts", "mobilisation")
MONEY, COERCION, CONVICTS, MOBILISATION = range(len(RUNGS))
TOP = float(MOBILISATION)  # the level at which every rung below the last is fully engaged
FAILURE_WEEKS = 13  # a quarter: the failure definition of issue 11
SIGNED_WEEKS = 13.0  # time constant of a region's recent (expected) contract sign-ups, against its quota
SPENDING_WEEKS = 52.0  # spending as a decaying sum over about a year, against yearly budgets


def rung(state: State, k: int) -> float:
    """How far rung k of the ladder is engaged, 0 to 1."""
    return min(max(state.response_level - k, 0.0), 1.0)


def dated(points, week_date) -> float:
    """The value of the latest dated point on or before `week_date` (the first before any)."""
    value = points[0].value
    for point in points:
        if point.date <= week_date:
            value = point.value
    return float(value)


def authorised_strength(ctx: Context, week: int) -> float:
    """Persons the Armed Forces may have this week: the latest decree holds until a newer one."""
    return dated(ctx.params.army.authorised_strength, ctx.calendar.date(week))


def deployable(ctx: Context) -> np.ndarray:
    """Streams that may be sent to the front (conscripts only while the policy sends them)."""
    mask = np.ones(C.N_STREAMS, bool)
    mask[C.CONSCRIPT] = ctx.params.policy.conscripts_to_combat
    return mask


def war_zone(ctx: Context, weeks):
    """Soldiers the war zone requires (persons), for a week or an array of weeks: front demand over the
    front's share of the zone."""
    return front_demand(ctx, weeks) / ctx.params.deployment.front_share_of_war_zone.value


def requirement(ctx: Context, weeks):
    """Deployable soldiers required (persons): the war zone plus the rest of the army."""
    return war_zone(ctx, weeks) + ctx.params.army.home_requirement.value


def failure_line(ctx: Context, weeks):
    """The deployable strength below which the war zone is more than `failure_share` short (the army outside
    it is kept first): the line of the failure definition and of the sustainment horizon."""
    return requirement(ctx, weeks) - ctx.params.recruitment.shortfall.failure_share.value * war_zone(ctx, weeks)


def deployable_strength(state: State, ctx: Context) -> float:
    """Deployable soldiers at the front or in the rear (persons), from the counts of the week's end, and the
    foreign recruits at the front."""
    located = state.located
    return float((located[C.FRONT] + located[C.REAR])[deployable(ctx)].sum() * ctx.scale) + state.foreign_front


def armed_forces(state: State) -> float:
    """Agents the decrees count: every location of the Armed Forces' streams."""
    return float(state.located[:, list(C.ARMED_FORCES)].sum())


def headroom(state: State, ctx: Context) -> float:
    """Agents the Armed Forces may still take in this week under the authorised strength."""
    return authorised_strength(ctx, state.week) / ctx.scale - armed_forces(state)


def count_located(state: State) -> None:
    """Soldiers by (location, stream) now: what recruitment and the record read."""
    state.located = located_by_stream(state.soldiers, state.n_soldiers, C.N_LOCATIONS, C.N_STREAMS)


def step(state: State, ctx: Context) -> None:
    count_located(state)
    week = state.week
    need = float(requirement(ctx, week))
    strength = deployable_strength(state, ctx)
    short = need - strength
    # the army outside the war zone is kept first, so what is missing is missing in the war zone
    share = max(short, 0.0) / max(float(war_zone(ctx, week)), 1.0)
    sf = ctx.params.recruitment.shortfall
    if sf.enabled:
        step_weeks = sf.lag_weeks.value if share > sf.tolerance.value else sf.descent_weeks.value
        move = min(max((share - sf.tolerance.value) / sf.tolerance.value, -1.0), 1.0) / step_weeks
        state.response_level = min(max(state.response_level + move, 0.0), float(len(RUNGS)))
    else:
        state.response_level = 0.0
    _mobilise(state, ctx, share, short)
    failing = strength < failure_line(ctx, week) and state.response_level >= TOP
    state.weeks_failing = state.weeks_failing + 1 if failing else 0

    pay, bonuses, compensation, bonus = fiscal_cost(state, ctx)
    state.personnel_spending += pay + bonuses + compensation - state.personnel_spending / SPENDING_WEEKS
    losses = state.flows[[C.F_KILLED, C.F_CAPTURED, C.F_INVALIDED], :][:, deployable(ctx)].sum() * ctx.scale
    state.losses_recent += (losses - state.losses_recent) / SIGNED_WEEKS
    # the centre's plan: replace losses, and close within lag_weeks the larger of the war zone's shortfall
    # and the room under the authorised strength (the decrees' expansion is a recruiting target too)
    gap = max(short, headroom(state, ctx) * ctx.scale, 0.0)
    _regional_bonuses(state, ctx, state.losses_recent + gap / sf.lag_weeks.value)

    r = state.recorded
    r["requirement"] = need
    r["deployable_strength"] = strength
    r["shortfall"] = short
    r["shortfall_share"] = share
    r["shortfall_pressure"] = state.response_level / len(RUNGS)
    r["weeks_failing"] = float(state.weeks_failing)
    r["requirement_failed"] = float(state.weeks_failing >= FAILURE_WEEKS)
    r["authorised_strength"] = authorised_strength(ctx, week)
    r["serving_armed_forces"] = armed_forces(state) * ctx.scale
    r["fiscal_pay"], r["fiscal_bonuses"], r["fiscal_compensation"] = pay, bonuses, compensation
    r["fiscal_cost"] = pay + bonuses + compensation
    r["cost_per_recruit"] = bonus
    r["regional_bonus_mean"] = float(state.regional_bonus.mean())


def _mobilise(state: State, ctx: Context, share: float, short: float) -> None:
    """The top rung: a new mobilisation, spread over the next weeks, when the state is at the top of the
    ladder, short by more than the political threshold, and has not mobilised within the cooldown. The
    scenario's dated mobilisations are history: the ladder declares only later ones, and only as many men
    as the authorised strength has room for."""
    quota = ctx.derived["mobilisation_quota"]
    week = state.week
    if quota[week] > 0:
        state.last_mobilisation = week
    sf = ctx.params.recruitment.shortfall
    if (not sf.enabled or not ctx.params.policy.new_mobilisation or state.response_level < TOP
            or week <= ctx.derived["dated_mobilisation_end"]
            or share < sf.mobilisation_threshold.value
            or week - state.last_mobilisation < sf.mobilisation_cooldown_weeks.value):
        return
    size = min(short, sf.mobilisation_size.value, max(headroom(state, ctx), 0.0) * ctx.scale)
    if size <= 0:
        return
    spread = int(sf.mobilisation_weeks.value)
    weeks = slice(week + 1, min(week + 1 + spread, len(quota)))
    quota[weeks] += size / spread
    ctx.derived["declared_mobilisation"][weeks] += size / spread
    state.last_mobilisation = week
    state.recorded["mobilisation_declared"] = size


def regional_bonus_floor(state: State, ctx: Context) -> None:
    """No region pays less than the decreed `pay.regional_bonus` (events set it); with the ladder off or the
    bonus pinned by --set, every region pays exactly that. Recruitment applies it before anyone enlists, so a
    decree or a pin holds from its first week."""
    floor = ctx.params.pay.regional_bonus.value
    if not ctx.params.recruitment.shortfall.enabled or "pay.regional_bonus" in ctx.params.pinned:
        state.regional_bonus[:] = floor
    else:
        np.maximum(state.regional_bonus, floor, out=state.regional_bonus)


def _regional_bonuses(state: State, ctx: Context, weekly_need: float) -> None:
    """The money rung: each region raises its bonus while what its men would sign lags its quota (the
    centre's weekly plan, `weekly_need`, shared by men) and catches up with the national mean (regions
    compete), in proportion to how far the rung is engaged; with the rung off, bonuses fall back. A region
    whose bonus spending over the year passes its budget cuts its bonus to fit; when the war's personnel bill
    passes the federal line, no region raises its bonus. The decreed base (`pay.regional_bonus`) is the
    floor."""
    p = ctx.params
    sf = p.recruitment.shortfall
    bonus = state.regional_bonus
    # quotas are judged on expected sign-ups (not the draws: at a coarse scale a region's weekly count is a
    # few agents, and a noisy count would bias the rule upward); bonuses are paid on the actual ones
    state.signed_recent += (state.expected_signed - state.signed_recent) / SIGNED_WEEKS
    signed = state.region_flows[C.RF_SIGNED] * ctx.scale
    state.bonus_spending += signed * bonus - state.bonus_spending / SPENDING_WEEKS
    if not sf.enabled or "pay.regional_bonus" in p.pinned:
        return  # held at the decreed (or pinned) level by `regional_bonus_floor`
    money = rung(state, MONEY)
    men = ctx.derived["men_by_region"]
    quota = weekly_need * men / men.sum()
    behind = np.clip(1.0 - state.signed_recent / np.maximum(quota, 1e-9), 0.0, 1.0)
    mean = bonus.mean()
    catch_up = np.log(mean / np.maximum(bonus, 1.0)) if mean > 0 else 0.0  # log gap to the mean, RUB >= 1
    growth = money * (sf.bonus_growth.value * behind + sf.bonus_competition.value * np.maximum(catch_up, 0.0))
    budget = p.economy.regional_bonus_budget_share.value * state.wage * 12.0 * men  # a year of men's wages
    over = state.bonus_spending > budget
    federal = (p.economy.personnel_budget_share.value * dated(p.economy.defence_budget_bn, ctx.calendar.date(
        state.week)) * 1e9)
    federal_binds = state.personnel_spending > federal
    growth = np.where(over | federal_binds, 0.0, growth)
    bonus *= np.exp(growth - (1.0 - money) / sf.descent_weeks.value)
    bonus *= np.where(over, budget / np.maximum(state.bonus_spending, 1.0), 1.0)
    regional_bonus_floor(state, ctx)
    state.recorded["regions_over_budget"] = float(over.mean())
    state.recorded["federal_budget_binds"] = float(federal_binds)
