"""Small decision rules of soldiers: the multinomial logit, deterrence, and threshold contagion.

They are plain Numba functions so that the weekly kernels and the unit tests call the very same code.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def logit_probabilities(utilities):
    """Multinomial logit: p_k = exp(u_k) / sum_j exp(u_j), computed stably (max subtracted). Overwrites and
    returns `utilities`, so the weekly kernel allocates nothing per soldier."""
    top = utilities.max()
    total = 0.0
    for k in range(len(utilities)):
        utilities[k] = math.exp(utilities[k] - top)
        total += utilities[k]
    for k in range(len(utilities)):
        utilities[k] /= total
    return utilities


@njit(cache=True)
def expected_sanction(certainty, severity, concavity):
    """Perceived certainty x severity**concavity: with concavity < 1, certainty matters more than severity
    (Nagin 2013; Chalfin & McCrary 2017), as a risk-seeking offender in Becker (1968) would weigh them."""
    return certainty * severity**concavity


@njit(cache=True)
def peer_pressure(share_acting, threshold):
    """Granovetter (1978): a man joins when the share of his group acting is at least his threshold."""
    return 1.0 if share_acting >= threshold else 0.0


@njit(cache=True)
def cascade_participation(thresholds):
    """Final share acting in a group whose members follow `peer_pressure`, starting from nobody acting:
    repeat until no one else joins (Granovetter's equilibrium)."""
    n = len(thresholds)
    share = 0.0
    while True:
        acting = 0.0
        for theta in thresholds:
            acting += peer_pressure(share, theta)
        new_share = acting / n
        if new_share <= share:
            return share
        share = new_share


@njit(cache=True)
def normal_from_uniforms(u1, u2):
    """A standard normal draw from two uniforms (Box-Muller), for counter-based random numbers."""
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
