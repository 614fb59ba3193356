"""Opinion (M12): private support for continuing the war, and what people tell pollsters.

A man's private support is logistic(x_r + sd z - w_family family), z ~ N(0, 1) his own fixed lean, with the
regional index

    x_r = baseline - w_M log10(1 + K / K0)              Mueller: the log of known deaths
          - w_R R / (R + R_half)                        Gartner & Segura: recently known deaths
          - w_L L_r / (L_r + L_half)                    own region's dead, weighing more, fading fast
          - w_E E / (E + E_half)                        known executions (covert videos)
          - w_C Q / (Q + Q_half)                        known deceptions into contracts
          - w_B B / (B + B_half)                        conscripts killed abroad (M2)
          - w_V V / (V + V_half)                        men mobilised recently (decaying): the political cost
                                                        of a mobilisation, dated or declared by the ladder
          - w_H (hardship_r - hardship at start)        sanctions and recession
          + w_S (success - 1)                           the front's effective strength against demand

Every cumulative driver is a decaying stock, and all but the log term saturate, so that accumulation alone
pushes nothing to 0 or 1 (family ties accumulate without decay, but their share is capped at one half).
Families of soldiers killed or coerced respond more (the family term, for the share f_r of men with such a
tie). The regional mean is computed by Gauss-Hermite quadrature over z, so no
per-person array is needed. Polled support adds a falsification gap on the logit scale that grows with
repression (Kuran 1991; Chapkovski & Schaub 2022).
"""

from __future__ import annotations

import math

import numpy as np

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.state import State
from morale.processes.combat import effective_front
from morale.processes.deployment import front_demand

NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(12)
WEIGHTS = WEIGHTS / WEIGHTS.sum()


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def mean_support(index: np.ndarray, sd: float) -> np.ndarray:
    """E[logistic(index + sd z)], z ~ N(0, 1), for each entry of `index`."""
    return logistic(index[:, None] + sd * NODES[None, :]) @ WEIGHTS


def _decay(half_life: float) -> float:
    return 0.5 ** (1.0 / max(half_life, 1e-9))


def saturating(stock: float | np.ndarray, half: float):
    return stock / (stock + half)


def regional_index(state: State, ctx: Context) -> np.ndarray:
    o = ctx.params.opinion
    s = state.society
    return (o.baseline.value
            - o.mueller_weight.value * math.log10(1.0 + s.known_deaths / o.mueller_scale.value)
            - o.recent_weight.value * saturating(s.recent_known, o.recent_half_saturation.value)
            - o.local_weight.value * saturating(s.local_known, o.local_half_saturation.value)
            - o.execution_weight.value * saturating(s.executions_known, o.execution_half_saturation.value)
            - o.coercion_weight.value * saturating(s.coercion_known, o.coercion_half_saturation.value)
            - o.conscript_weight.value * saturating(s.conscript_known, o.conscript_half_saturation.value)
            - o.mobilisation_weight.value * saturating(s.mobilised_recent, o.mobilisation_half_saturation.value)
            - o.hardship_weight.value * (s.hardship - ctx.derived["hardship_start"])
            + o.success_weight.value * (s.success - 1.0))


def step(state: State, ctx: Context) -> None:
    o = ctx.params.opinion
    s = state.society
    week = state.week
    arrived = s.leak_queue[:, week]
    men = ctx.derived["men_by_region"]
    s.known_deaths = s.known_deaths * _decay(o.memory_half_life_weeks.value) + arrived[C.LEAK_DEATHS]
    s.recent_known = s.recent_known * _decay(o.recent_half_life_weeks.value) + arrived[C.LEAK_DEATHS]
    s.executions_known = s.executions_known * _decay(o.coercion_half_life_weeks.value) + arrived[C.LEAK_EXECUTIONS]
    s.coercion_known = s.coercion_known * _decay(o.coercion_half_life_weeks.value) + arrived[C.LEAK_DECEPTIONS]
    s.conscript_known = s.conscript_known * _decay(o.coercion_half_life_weeks.value) + arrived[C.LEAK_CONSCRIPT_DEATHS]
    s.mobilised_recent = (s.mobilised_recent * _decay(o.mobilisation_half_life_weeks.value)
                          + state.flows[C.F_RECRUITS, C.MOBILISED] * ctx.scale)
    s.local_known = (s.local_known * _decay(o.local_half_life_weeks.value)
                     + s.local_queue[:, week] / np.maximum(men, 1.0) * 1e5)
    demand = float(front_demand(ctx, week))
    if demand > 0:  # read before the rear refills the front (combat.effective_front); smoothed over a quarter
        s.success += (min(effective_front(state, ctx) / demand, 1.0) - s.success) / 13.0
    s.tied_soldiers += (state.region_flows[C.RF_KILLED] + state.region_flows[C.RF_COERCED_RECRUITS]) * ctx.scale
    ties = s.tied_soldiers * o.family_ties_per_soldier.value
    s.family_share = np.minimum(ties / np.maximum(men, 1.0), 0.5)

    index = regional_index(state, ctx)
    s.opinion_index = index
    sd = o.person_sd.value
    private = (1 - s.family_share) * mean_support(index, sd) + s.family_share * mean_support(
        index - o.family_weight.value, sd)
    gap = o.falsification_gap.value + o.falsification_repression_weight.value * s.repression
    s.support_private = private
    s.support_polled = logistic(logit(private) + gap)
    weights = men / men.sum()
    national = float(private @ weights)
    state.recorded["support_private"] = national
    state.recorded["support_polled"] = float(s.support_polled @ weights)
    continue_index = logit(national) + float(gap @ weights) - o.negotiate_offset.value
    state.recorded["support_continue_polled"] = float(logistic(continue_index))
    _reversal(state, ctx, national)


def _reversal(state: State, ctx: Context, national: float) -> None:
    """M2: the state stops sending conscripts abroad once support has fallen by `reversal_drop`."""
    o = ctx.params.opinion
    s = state.society
    if not ctx.params.policy.conscripts_to_combat:
        s.support_start = -1.0
        return
    if s.support_start < 0:
        s.support_start = national
    elif o.reversal_drop.value > 0 and s.support_start - national >= o.reversal_drop.value:
        ctx.params.policy.conscripts_to_combat = False
        state.recorded["conscript_policy_reversed"] = 1.0
