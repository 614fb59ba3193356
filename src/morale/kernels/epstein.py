"""Epstein's (2002) decision rule, shared by the classic civil-violence model and the society model.

A citizen with hardship H under legitimacy L holds grievance G = H(1 - L). Seeing C cops and A actives
(A counts the citizen itself, so A >= 1) it estimates its arrest probability P = 1 - exp(-k C/A) and turns
active iff G - R*P > T, R being its risk aversion. These are the only formulas the two models share, so they
live here once, as Numba scalar functions callable from compiled kernels and from Python alike.

The ports of the model disagree on one point, the ratio C/A inside the exponential; the three readings are
the integer constants below, passed as ``ratio_mode``.
"""

import math

from numba import njit

RATIO_PLAIN = 0
"""Epstein's paper: C/A as a real number. P rises smoothly with cops; no port gets outbursts with it."""
RATIO_FLOOR = 1
"""NetLogo's Rebellion: floor(C/A). P = 0 as soon as actives (self included) outnumber cops, else P >= 0.8997."""
RATIO_ROUND = 2
"""Mesa's example: Python's round(C/A), which rounds halves to even. P = 0 until C/A > 0.5 (2:1 actives)."""


@njit(cache=True)
def grievance(hardship, legitimacy):
    """G = H(1 - L): hardship the citizen blames on an illegitimate regime.

    Computed from the current legitimacy at every decision, so that a legitimacy that changes during a run
    changes grievance at once (Mesa's example computes it once at set-up and misses the paper's Figs. 9-10).
    """
    return hardship * (1.0 - legitimacy)


@njit(cache=True)
def _round_half_even(x):
    """Python 3's built-in round() for a non-negative float, to an integer-valued float.

    Mesa calls ``round(cops / actives)``: ties go to the even neighbour, so 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
    The division is the same IEEE double here and there, so a tie is detected exactly when Mesa sees one.
    """
    below = math.floor(x)
    rest = x - below
    if rest > 0.5:
        return below + 1.0
    if rest < 0.5:
        return below
    return below + (below % 2.0)


@njit(cache=True)
def arrest_probability(cops, actives, k, ratio_mode):
    """Estimated probability of arrest P = 1 - exp(-k * ratio(C/A)) for a citizen seeing these counts.

    ``actives`` must already count the citizen itself (the paper's "A is always at least 1"). ``ratio_mode``
    is RATIO_PLAIN, RATIO_FLOOR or RATIO_ROUND. With k = 2.3, P(1 cop, 1 active) = 0.8997, which is why the
    paper picked k: a lone rebel facing a lone cop expects arrest nine times in ten.
    """
    ratio = cops / actives
    if ratio_mode == RATIO_FLOOR:
        ratio = math.floor(ratio)
    elif ratio_mode == RATIO_ROUND:
        ratio = _round_half_even(ratio)
    return 1.0 - math.exp(-k * ratio)


@njit(cache=True)
def is_active(grievance, risk_aversion, arrest_prob, threshold):
    """Rule A: rebel iff grievance exceeds the net risk R*P by more than the threshold T.

    The inequality is strict, so with H < 1 no one can rebel once G <= T, i.e. when L >= 1 - T (0.9 at
    T = 0.1) whatever the cops.
    """
    return grievance - risk_aversion * arrest_prob > threshold
