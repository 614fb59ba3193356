"""Economy (M15): regional civilian wage and unemployment this week.

The observed Rosstat series are the with-sanctions path. The sanctions effect is an explicit block
(`economy.sanctions`): a shift in unemployment and a relative wage loss, decaying with a half-life from the
start of sanctions. A counterfactual without sanctions removes that block from the observed series.
"""

from __future__ import annotations

import numpy as np

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
    state.wage = wage
    state.unemployment = np.maximum(unemployment, UNEMPLOYMENT_FLOOR)
    state.poverty = _interpolate(ctx.regions.poverty, when)
