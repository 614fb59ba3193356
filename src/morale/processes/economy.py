"""Economy (M15): regional civilian wage, unemployment and hardship this week, and the war's fiscal cost.

The observed Rosstat series are the with-sanctions path. The sanctions effect is an explicit block
(`economy.sanctions`): a shift in unemployment and a relative wage loss, decaying with a half-life from the
start of sanctions. A counterfactual without sanctions removes that block from the observed series.

The war drains labour: men serving beyond the pre-war army, killed, or abroad, as a share D of men 18-59.
The observed series already contain the drain of history, D_ref (the default run's); a run whose drain
differs moves the labour market by the difference, and after the data end the balancing loop goes on:

    U = U_obs - e_U (D - D_ref),   wage = wage_obs (1 + e_W (D - D_ref))

Hardship (opposition, opinion) = base + w_P (poverty - poverty_ref) / 100 + w_U (U - U_ref) / 100.
"""

from __future__ import annotations

import numpy as np

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.regions import YEARS
from morale.engine.state import State

UNEMPLOYMENT_FLOOR = 0.5  # %, keeps log(unemployment) finite in any data or counterfactual


def sanctions_strength(ctx: Context, week: int) -> float:
    """1 at the start of sanctions, halving every `half_life_weeks`; 0 before they start."""
    sanctions = ctx.params.economy.sanctions
    since = week - ctx.calendar.week_of(sanctions.start)
    if since < 0:
        return 0.0
    return float(0.5 ** (since / sanctions.half_life_weeks.value))


def _interpolate(series: np.ndarray, when: float) -> np.ndarray:
    """Annual values placed at mid-year, interpolated linearly, held flat outside the data."""
    mid = YEARS + 0.5
    j = int(np.clip(np.searchsorted(mid, when) - 1, 0, len(mid) - 2))
    w = float(np.clip((when - mid[j]) / (mid[j + 1] - mid[j]), 0.0, 1.0))
    return series[:, j] * (1 - w) + series[:, j + 1] * w


def step(state: State, ctx: Context) -> None:
    date = ctx.calendar.date(state.week)
    when = date.year + (date.timetuple().tm_yday - 0.5) / 365.25
    wage = _interpolate(ctx.regions.wage, when)
    unemployment = _interpolate(ctx.regions.unemployment, when)
    sanctions = ctx.params.economy.sanctions
    if not sanctions.enabled:
        strength = sanctions_strength(ctx, state.week)
        unemployment = unemployment - sanctions.unemployment_pp.value * strength
        wage = wage / (1.0 + sanctions.wage_effect.value * strength)
    e = ctx.params.economy
    gap = labour_drain(state, ctx) - labour_drain_reference(ctx, state.week)
    unemployment = unemployment - e.labour_drain_unemployment.value * gap
    wage = wage * (1.0 + e.labour_drain_wage.value * gap)
    state.wage = wage
    state.unemployment = np.maximum(unemployment, UNEMPLOYMENT_FLOOR)
    state.poverty = _interpolate(ctx.regions.poverty, when)
    o = ctx.params.opposition
    state.society.hardship = np.clip(
        o.hardship_base.value
        + o.hardship_poverty_weight.value * (state.poverty - e.reference_poverty.value) / 100.0
        + o.hardship_unemployment_weight.value * (state.unemployment - e.reference_unemployment.value) / 100.0,
        0.01, 0.99)
    state.recorded["labour_drain"] = gap + labour_drain_reference(ctx, state.week)


def labour_drain(state: State, ctx: Context) -> float:
    """Men serving beyond the pre-war army, killed in the war, or abroad, as a share of men at the start."""
    counts = state.status_agents * ctx.scale
    start = ctx.derived["drain_start"]
    drained = (counts[C.SERVING] - start["serving"] + state.war_dead * ctx.scale
               + counts[C.EMIGRATED] - start["emigrated"])
    return float(drained / start["men"])


def labour_drain_reference(ctx: Context, week: int) -> float:
    points = ctx.params.economy.labour_drain_reference
    weeks = [ctx.calendar.week_of(p.date) for p in points]
    return float(np.interp(week, weeks, [p.value for p in points]))


def fiscal_cost(state: State, ctx: Context) -> tuple[float, float, float, float]:
    """This week's spending on the war's soldiers, RUB: pay, sign-up bonuses, death and injury payments;
    and the mean sign-up bonus of one more recruit (federal plus the regions' mean).

    Pay: the war-zone rate (`pay.monthly_pay`) for the paid men in the war zone (the front and its share of
    the rear, `deployment.front_share_of_war_zone`), the peacetime rate (`pay.home_monthly_pay`) for the
    rest; conscripts' allowance is left out. Bonuses: the federal bonus for every contract-type sign-up and
    each region's bonus for its own."""
    p = ctx.params
    scale = ctx.scale
    paid_streams = [C.CONTRACT, C.COERCED, C.CONVERTED, C.MOBILISED, C.CONVICT_MINISTRY, C.VOLUNTEER]
    paid = state.located[:, paid_streams].sum() * scale
    war_zone = min(paid, state.located[C.FRONT, paid_streams].sum() * scale
                   / p.deployment.front_share_of_war_zone.value)
    pay = (p.pay.monthly_pay.value * war_zone + p.pay.home_monthly_pay.value * (paid - war_zone)) * 12.0 / 52.0
    signed = state.region_flows[C.RF_SIGNED] * scale
    bonuses = p.pay.federal_bonus.value * signed.sum() + float(signed @ state.regional_bonus)
    compensation = (state.flows[C.F_KILLED].sum() * p.economy.death_compensation.value
                    + state.flows[C.F_WOUNDED].sum() * p.economy.injury_compensation.value) * scale
    return pay, bonuses, compensation, p.pay.federal_bonus.value + float(state.regional_bonus.mean())
