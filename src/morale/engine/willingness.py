"""The willing (M3): each man's fixed place in his region's taste for contract service.

Men differ in the terms for which they would sign (pay, risk, standing), and those whose terms are met sign
first: the pay elasticity of enlistment supply is the density of these reservation terms (Warner & Asch 1995),
and stated intentions, fixed traits of a man, predict who enlists (Orvis 1986). A man's rank u ~ U(0, 1) is
drawn once from his person number. He is willing at this week's terms when

    u / g(age) < s_r,        g(age) = exp(-d max(age - 25, 0) / 10)

where s_r is his region's willing share at age 25 (a logit in relative pay, unemployment, poverty, perceived
risk and support: `recruitment.willing_share`) and g the decline of willingness with age. A willing civilian
signs at a weekly hazard h. Those who sign leave the pool, so supply at fixed terms falls as the willing are
used up and recovers only with new cohorts and better terms.

The pool W_r(s) is counted by rank bins in one pass over the person table every `COUNT_EVERY_WEEKS`; between
counts the men who signed are subtracted (men who enter, emigrate or age out in between shift it by less than
a quarter's flows).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from morale.engine import codes as C
from morale.engine.calendar import WEEKS_PER_YEAR
from morale.engine.person_table import enlist, hazard_hits
from morale.engine.rng import uniform

COUNT_EVERY_WEEKS = 26  # a pass reads every man of contract age: twice a year, signing subtracted in between
RANK_STREAM = 60  # the attributes key's draw stream of a man's rank
REFERENCE_AGE = 25.0
# rank bins: [0, 1e-6), then log-spaced from 1e-6 to 1 (a willing share is a small number in most regions)
SMALLEST, N_LOG_BINS = 1e-6, 239
EDGES = np.concatenate([[0.0], np.geomspace(SMALLEST, 1.0, N_LOG_BINS + 1)])
LOG_STEP = -math.log(SMALLEST) / N_LOG_BINS


@njit(cache=True)
def _scaled_rank(attributes_key, person, age_years, decline):
    """u / g(age): a man is willing when this is below his region's share."""
    u = uniform(attributes_key, 0, RANK_STREAM, person)
    return u * math.exp(decline * max(age_years - REFERENCE_AGE, 0.0) / 10.0)


@njit(cache=True, parallel=True)
def count_by_rank(status, birth_week, lo, hi, week, attributes_key, decline):
    """Civilians of rows lo[r]:hi[r] by scaled-rank bin of `EDGES` (ranks of 1 and above are never willing).
    Regions are counted in parallel, each by one thread in row order, so the counts do not depend on threads."""
    counts = np.zeros((len(lo), N_LOG_BINS + 1))
    for r in prange(len(lo)):
        for i in range(lo[r], hi[r]):
            if status[i] != C.CIVILIAN:
                continue
            v = _scaled_rank(attributes_key, i, (week - birth_week[i]) / WEEKS_PER_YEAR, decline)
            if v >= 1.0:
                continue
            if v < SMALLEST:
                counts[r, 0] += 1.0
            else:  # the log-spaced bin holding v (edges[b] <= v < edges[b + 1])
                counts[r, min(int((math.log(v) - math.log(SMALLEST)) / LOG_STEP) + 1, N_LOG_BINS)] += 1.0
    return counts


@njit(cache=True)
def scaled_ranks(persons, birth_week, week, attributes_key, decline):
    """u / g(age) of each of `persons` (for picking the most willing)."""
    out = np.empty(len(persons))
    for j in range(len(persons)):
        i = persons[j]
        out[j] = _scaled_rank(attributes_key, i, (week - birth_week[i]) / WEEKS_PER_YEAR, decline)
    return out


def pool(counts: np.ndarray, taken: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Willing civilians (agents) per region at willing share `share`: counted civilians with a scaled rank
    below it (linear within a bin), less those who signed since the count."""
    share = np.clip(share, 0.0, 1.0)
    safe = np.maximum(share, SMALLEST)
    b = np.where(share < SMALLEST, 0, np.minimum((np.log(safe) - math.log(SMALLEST)) / LOG_STEP + 1, N_LOG_BINS)
                 .astype(np.int64))
    inside = np.clip((share - EDGES[b]) / (EDGES[b + 1] - EDGES[b]), 0.0, 1.0)
    rows = np.arange(len(counts))
    below = np.cumsum(counts, axis=1) - counts  # civilians in the bins before each bin
    out = below[rows, b] + inside * counts[rows, b]
    return np.maximum(out - taken, 0.0)


@njit(cache=True)
def enlist_willing(army, people, n_soldiers, unit_size, lo, hi, share, hazard, attributes_key, key, week,
                   draw_stream, decline, training_needed, contract_end, taken, flows, region_flows):
    """Each willing civilian of rows lo[r]:hi[r] (scaled rank below share[r]) signs a contract with
    probability hazard[r]; hits are drawn on every row and thinned, so work is proportional to hazard x rows."""
    capacity = army[0].shape[1]
    status, region, birth_week = people[0], people[3], people[4]
    for r in range(len(lo)):
        if share[r] <= 0.0:
            continue
        for i in hazard_hits(lo[r], hi[r], hazard[r], key, week, draw_stream * 4096 + r):
            if status[i] != C.CIVILIAN:
                continue
            if _scaled_rank(attributes_key, i, (week - birth_week[i]) / WEEKS_PER_YEAR, decline) >= share[r]:
                continue
            if n_soldiers >= capacity:
                return -1
            enlist(army, people, n_soldiers, unit_size, i, C.CONTRACT, training_needed, contract_end, 0)
            n_soldiers += 1
            taken[r] += 1.0
            flows[C.F_RECRUITS, C.CONTRACT] += 1
            region_flows[C.RF_RECRUITS, region[i]] += 1
            region_flows[C.RF_SIGNED, region[i]] += 1
    return n_soldiers
