"""Observation: turn the state at the end of a week into the recorder's row (persons, not agents)."""

from __future__ import annotations

import numpy as np

from morale.engine import codes as C
from morale.engine import willingness
from morale.engine.context import Context
from morale.engine.person_table import count_civilians
from morale.engine.recorder import HORIZON_CAP_WEEKS, YEARS_LEFT_CAP, Recorder
from morale.engine.state import State
from morale.processes.combat import intensity
from morale.processes.deployment import front_demand
from morale.processes.manpower import FAILURE_WEEKS, failure_line

POOL_EVERY_WEEKS = 13  # counting a pool reads every man of its ages: quarterly is enough
LOSS_FLOWS = ("killed", "captured", "invalided", "discharged", "pardoned")  # exits from service
POOL_DRAWS = {
    "conscription": ("recruits_conscript",),
    "reservists": ("recruits_mobilised", "recruits_coerced", "recruits_volunteer"),
    "contract": ("recruits_contract",),
    "prisoners": ("recruits_convict_pmc", "recruits_convict_ministry"),
}
NOT_FROM_POOL = {"prisoners": ("recruits_defendant",)}  # the ministry's convicts signed before trial
HORIZON_WINDOW = 26  # weeks behind the slope of deployable strength (smooths the call-up calendar)
UNIT_FLOWS = ("units_broken", "lethal_adoptions")  # counted in companies of `army.unit_persons` men

def _pools(state: State, ctx: Context) -> dict[str, float]:
    """Men left to draw on: civilians of call-up age who never served, reservists up to the mobilisation age,
    counted every `POOL_EVERY_WEEKS` (a pass over the person table)."""
    r = ctx.params.recruitment
    out = {}
    for name, (max_age, prior) in {
        "conscription": (r.conscription.upper_age.value, 0),
        "reservists": (r.mobilisation_max_age.value, 1),
    }.items():
        lo, hi = state.age_slices(18, max_age)
        out[name] = count_civilians(state.status, state.prior_service, lo, hi, prior) * ctx.scale
    return out


def record(state: State, ctx: Context, rec: Recorder) -> None:
    w = state.week
    scale = ctx.scale
    flows = state.flows * scale
    counts = state.status_agents * scale
    for i, name in enumerate(C.STATUS_NAMES):
        rec.set(w, name, counts[i])
    rec.set(w, "persons_created", counts[: C.UNBORN].sum())

    located = state.located * scale  # counted by the manpower process at the end of the week
    for i, loc in enumerate(C.LOCATION_NAMES):
        rec.set(w, f"soldiers_{loc}", located[i].sum())
    front = located[C.FRONT].sum()
    rec.set(w, "front_demand", float(front_demand(ctx, w)))
    companies = ctx.companies_per_unit
    rec.set(w, "units", np.count_nonzero(state.unit_members[: state.n_units[0]] > 0) * companies)

    for name in C.FLOW_NAMES:
        total = flows[C.FLOW[name]].sum()
        rec.set(w, name, total)
    for s, stream in enumerate(C.STREAM_NAMES):
        rec.set(w, f"recruits_{stream}", flows[C.F_RECRUITS, s])
    exits = sum(flows[C.FLOW[f]].sum() for f in LOSS_FLOWS)
    new_recruits = flows[C.F_RECRUITS].sum() - flows[C.F_RECRUITS, C.CONVERTED]  # not new men
    rec.set(w, "net_manpower_balance", new_recruits - exits)
    for name, value in state.recorded.items():
        rec.set(w, name, value * companies if name == "lethal_units" else value)
    for name in UNIT_FLOWS:
        rec.set(w, name, state.flows[C.FLOW[name]].sum() * companies)
    rec.set(w, "combat_intensity", intensity(ctx, w))
    rec.set(w, "wage_mean", float(state.wage.mean()))
    rec.set(w, "unemployment_mean", float(state.unemployment.mean()))
    rec.set(w, "pool_prisoners", counts[C.IMPRISONED])
    # the willing: civilians of contract age whose terms this week's contract meets (`engine.willingness`)
    rec.set(w, "pool_contract", float(willingness.pool(state.willing_counts, state.willing_taken,
                                                       state.willing_share).sum()) * scale)
    if w % POOL_EVERY_WEEKS == 0:
        for name, value in _pools(state, ctx).items():
            rec.set(w, f"pool_{name}", value)
    else:
        for name in ("conscription", "reservists"):
            rec.set(w, f"pool_{name}", rec.get(f"pool_{name}", w - 1))
    _horizons(state, ctx, rec)

    stream_rows = {
        "soldiers_front": located[C.FRONT],
        "serving": located.sum(axis=0),
        **{name: flows[C.FLOW[name]] * (companies / scale if name in UNIT_FLOWS else 1.0)
           for name in rec.stream_names if name not in ("soldiers_front", "serving")},
    }
    for j, name in enumerate(rec.stream_names):
        rec.by_stream_values[w, j] = stream_rows[name]
    society = state.society
    region_rows = {
        "support_private": society.support_private,
        "opposition_active": society.active_by_region,
        "known_deaths": society.known_by_region,
    }
    for j, name in enumerate(rec.region_names):
        rec.by_region_values[w, j] = region_rows[name] if name in region_rows else (
            state.region_flows[C.REGION_FLOW[name]] * scale)
    _society(state, ctx, rec, front)
    rec.weeks_recorded = w + 1


def _society(state: State, ctx: Context, rec: Recorder, front: float) -> None:
    w = state.week
    s = state.society
    rec.set(w, "opposition_active", s.active_by_region.sum())
    rec.set(w, "opposition_violent", s.violent_by_region.sum())
    true_deaths = state.war_dead * ctx.scale
    rec.set(w, "known_over_true_deaths", s.known_deaths_total / true_deaths if true_deaths > 0 else 0.0)
    rec.set(w, "legitimacy_mean", float(s.legitimacy.mean()))
    rec.set(w, "hardship_mean", float(s.hardship.mean()))
    rec.set(w, "repression_mean", float(s.repression.mean()))
    rec.set(w, "cost_per_front_soldier_year", state.recorded["fiscal_cost"] * 52.0 / max(front, 1.0))
    killed = rec.by_region_values[: w + 1, rec.region_names.index("killed")].sum(axis=0)
    rate = np.sort(killed / np.maximum(ctx.derived["men_by_region"], 1.0))
    decile = max(1, len(rate) // 10)
    bottom = rate[:decile].mean()
    rec.set(w, "regional_death_inequality", rate[-decile:].mean() / bottom if bottom > 0 else 0.0)


def _horizons(state: State, ctx: Context, rec: Recorder) -> None:
    """Sustainment horizon and years left in each pool, from smoothed recent rates.

    The horizon is the number of weeks until the requirement fails (`manpower`): the first week deployable
    strength, moving at its slope over the last `HORIZON_WINDOW` weeks, falls below the failure line of the
    requirement's own dated path; 0 once failed, the cap if it never does within it."""
    w = state.week
    strength = rec.get("deployable_strength", w)
    if state.weeks_failing >= FAILURE_WEEKS:
        horizon = 0.0
    else:
        past = max(0, w - HORIZON_WINDOW)
        slope = (strength - rec.get("deployable_strength", past)) / max(w - past, 1)
        ahead = np.arange(1, int(HORIZON_CAP_WEEKS) + 1)
        crossed = np.flatnonzero(strength + slope * ahead < failure_line(ctx, w + ahead))
        horizon = float(ahead[crossed[0]]) if len(crossed) else HORIZON_CAP_WEEKS
    rec.set(w, "sustainment_horizon_weeks", horizon)
    year = slice(max(0, w - 51), w + 1)
    for pool, draws in POOL_DRAWS.items():
        drawn = (sum(rec.get(d, year).sum() for d in draws) - sum(rec.get(d, year).sum()
                 for d in NOT_FROM_POOL.get(pool, ()))) * 52.0 / (year.stop - year.start)
        size = rec.get(f"pool_{pool}", w)
        rec.set(w, f"years_left_{pool}", min(size / drawn, YEARS_LEFT_CAP) if drawn > 0 else YEARS_LEFT_CAP)
