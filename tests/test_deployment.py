"""Deployment's two orders and the tour (processes/deployment.py), on a hand-made table of soldiers.

Rows are in enlistment order (row 0 enlisted first), as the engine keeps them."""

from __future__ import annotations

import numpy as np
import pytest

from morale.engine import codes as C
from morale.processes.deployment import _deploy


def _army(streams, locations, front_weeks=None):
    n = len(streams)
    soldiers = np.full((len(C.SOLDIER_FIELDS), n), -1, np.int32)
    soldiers[C.S_STREAM] = streams
    soldiers[C.S_LOCATION] = locations
    soldiers[C.S_UNIT] = 0
    soldiers[C.S_FRONT_WEEKS] = 0 if front_weeks is None else front_weeks
    unit_state = np.zeros((len(C.UNIT_FIELDS), 1))
    flows = np.zeros((C.N_FLOWS, C.N_STREAMS), np.int64)
    return soldiers, unit_state, flows


def _deployed(soldiers, demand, *, as_needed, tour=0, conscripts=True):
    _, unit_state, flows = _army([], [])
    front = _deploy(soldiers, unit_state, soldiers.shape[1], 10, demand, conscripts, as_needed, tour, flows)
    rows = np.flatnonzero(soldiers[C.S_LOCATION] == C.FRONT)
    assert front == len(rows)
    return rows


def test_default_order_sends_the_longest_serving_and_as_needed_the_most_recent():
    streams = [C.CONTRACT] * 3 + [C.CONSCRIPT] * 3
    soldiers, _, _ = _army(streams, [C.REAR] * 6)
    assert list(_deployed(soldiers, 3, as_needed=False, conscripts=False)) == [0, 1, 2]
    soldiers, _, _ = _army(streams, [C.REAR] * 6)
    assert list(_deployed(soldiers, 3, as_needed=True)) == [3, 4, 5]


def test_without_as_needed_every_trained_conscript_goes_whatever_the_demand():
    soldiers, _, _ = _army([C.CONSCRIPT] * 5, [C.REAR] * 5)
    assert len(_deployed(soldiers, 2, as_needed=False)) == 5


@pytest.mark.parametrize("as_needed, kept", [(True, [3, 4, 5]), (False, [0, 1, 2, 3, 4, 5])])
def test_a_surplus_returns_to_the_rear_only_as_needed_and_the_longest_serving_first(as_needed, kept):
    soldiers, _, _ = _army([C.CONTRACT] * 6, [C.FRONT] * 6)
    assert list(_deployed(soldiers, 3, as_needed=as_needed)) == kept


def test_assault_men_are_not_withdrawn_as_surplus():
    soldiers, _, _ = _army([C.CONVICT_PMC, C.CONTRACT, C.CONTRACT], [C.FRONT] * 3)
    assert list(_deployed(soldiers, 1, as_needed=True)) == [0]


def test_the_front_keeps_the_demand_rounded_up_without_churning():
    soldiers, _, _ = _army([C.CONTRACT] * 6, [C.FRONT] * 5 + [C.REAR])
    for _ in range(3):
        assert list(_deployed(soldiers, 2.5, as_needed=True)) == [2, 3, 4]


@pytest.mark.parametrize("as_needed", [True, False])
def test_a_man_whose_tour_is_done_comes_back_and_is_not_sent_again(as_needed):
    weeks = [52, 51, 60, 0]
    soldiers, _, _ = _army([C.CONTRACT] * 4, [C.FRONT, C.FRONT, C.REAR, C.REAR], weeks)
    assert list(_deployed(soldiers, 4, as_needed=as_needed, tour=52)) == [1, 3]
    assert soldiers[C.S_LOCATION, 0] == C.REAR and soldiers[C.S_LOCATION, 2] == C.REAR


def test_no_tour_when_tour_weeks_is_zero():
    soldiers, _, _ = _army([C.CONTRACT] * 2, [C.FRONT, C.REAR], [500, 900])
    assert list(_deployed(soldiers, 2, as_needed=False, tour=0)) == [0, 1]
