"""The shared decision kernel against hand-computed values and the ports' formulas."""

import math

import numpy as np
import pytest
from numba import njit

from morale.kernels.epstein import (
    RATIO_FLOOR,
    RATIO_PLAIN,
    RATIO_ROUND,
    arrest_probability,
    grievance,
    is_active,
)

K = 2.3


def test_grievance_is_hardship_times_illegitimacy():
    assert grievance(0.5, 0.8) == pytest.approx(0.1)
    assert grievance(1.0, 0.0) == 1.0
    assert grievance(0.7, 1.0) == 0.0


@pytest.mark.parametrize(
    ("cops", "actives", "mode", "expected"),
    [
        (1, 1, RATIO_PLAIN, 1 - math.exp(-2.3)),  # k chosen so that P(1, 1) ~ 0.9
        (0, 4, RATIO_PLAIN, 0.0),
        (1, 2, RATIO_PLAIN, 1 - math.exp(-1.15)),
        (3, 2, RATIO_PLAIN, 1 - math.exp(-3.45)),
        (1, 2, RATIO_FLOOR, 0.0),  # more actives than cops: no risk at all in NetLogo
        (2, 2, RATIO_FLOOR, 1 - math.exp(-2.3)),
        (3, 2, RATIO_FLOOR, 1 - math.exp(-2.3)),
        (5, 2, RATIO_FLOOR, 1 - math.exp(-4.6)),
        (1, 2, RATIO_ROUND, 0.0),  # round(0.5) = 0: a tie goes to the even 0
        (3, 2, RATIO_ROUND, 1 - math.exp(-4.6)),  # round(1.5) = 2
        (5, 2, RATIO_ROUND, 1 - math.exp(-4.6)),  # round(2.5) = 2
        (2, 3, RATIO_ROUND, 1 - math.exp(-2.3)),
        (1, 3, RATIO_ROUND, 0.0),
    ],
)
def test_arrest_probability_hand_values(cops, actives, mode, expected):
    assert arrest_probability(cops, actives, K, mode) == pytest.approx(expected, abs=1e-12)


def test_round_mode_matches_mesa_formula_bit_for_bit():
    for cops in range(0, 40):
        for actives in range(1, 40):
            mesa = 1 - math.exp(-1 * K * round(cops / actives))
            assert arrest_probability(cops, actives, K, RATIO_ROUND) == mesa, (cops, actives)


def test_floor_mode_matches_netlogo_formula():
    for cops in range(0, 40):
        for actives in range(1, 40):
            netlogo = 1 - math.exp(-K * math.floor(cops / actives))
            assert arrest_probability(cops, actives, K, RATIO_FLOOR) == pytest.approx(netlogo, abs=1e-15)


def test_is_active_is_a_strict_inequality():
    # 0.5 - 0.5 * 0.5 = 0.25 exactly in binary floating point
    assert not is_active(0.5, 0.5, 0.5, 0.25)
    assert is_active(0.5, 0.5, 0.5, 0.2499)
    assert not is_active(0.3, 1.0, 0.9, 0.1)
    assert is_active(0.3, 0.0, 0.9, 0.1)


def test_nobody_rebels_at_legitimacy_ninety_percent():
    hardship = np.random.default_rng(1).random(100_000)
    for legitimacy in (0.9, 0.95, 1.0):
        assert not any(is_active(grievance(h, legitimacy), 0.0, 0.0, 0.1) for h in hardship)


def test_kernel_is_callable_from_compiled_code():
    @njit
    def share_active(hardship, risk_aversion, legitimacy, cops, actives):
        count = 0
        for i in range(hardship.shape[0]):
            p = arrest_probability(cops, actives, K, RATIO_FLOOR)
            count += is_active(grievance(hardship[i], legitimacy), risk_aversion[i], p, 0.1)
        return count / hardship.shape[0]

    rng = np.random.default_rng(0)
    hardship, risk_aversion = rng.random(200_000), rng.random(200_000)
    # With P = 0 the share is P(H > T / (1 - L)) = 1 - 0.1 / 0.2 = 0.5 at L = 0.8.
    assert share_active(hardship, risk_aversion, 0.8, 1, 2) == pytest.approx(0.5, abs=0.005)
