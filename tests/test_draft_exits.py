"""Legal exits from the draft (`recruitment.conscription.exempt_share`) and evasion abroad (`summoned_emigrants`)."""

from __future__ import annotations

import numpy as np

import morale
from morale.engine import codes as C
from morale.engine.person_table import exempt
from tests.conftest import checked_run


def test_the_exempt_share_is_met_and_the_same_men_stay_exempt():
    persons = np.arange(200_000)
    first = np.array([exempt(i, 0.55, 12345) for i in persons])
    again = np.array([exempt(i, 0.55, 12345) for i in persons])
    assert abs(first.mean() - 0.55) < 0.005
    assert (first == again).all()
    assert not any(exempt(i, 0.0, 12345) for i in persons[:1000])


def _conscript_persons(state) -> set[int]:
    rows = state.soldiers[:, : state.n_soldiers]
    return set(rows[C.S_PERSON, (rows[C.S_LOCATION] != C.REMOVED) & (rows[C.S_STREAM] == C.CONSCRIPT)].tolist())


def test_no_exempt_man_is_drafted_or_summoned():
    # to the eve of the mobilisation, whose papers go to reservists, exempt from conscription or not
    sim = morale.Simulation("russia-2022", scale=1000, end="2022-09-01",
                            overrides={"recruitment.conscription.exempt_share": 0.6})
    key = sim.ctx.keys["attributes"]
    before = _conscript_persons(sim.state)  # the army of the start is whoever served then
    sim.run()
    drafted = _conscript_persons(sim.state) - before
    assert len(drafted) > 50
    assert not any(exempt(p, 0.6, key) for p in drafted)
    summoned = np.flatnonzero(sim.state.society.summoned)
    assert len(summoned) > 50 and not any(exempt(p, 0.6, key) for p in summoned)


def test_exemption_changes_who_is_drafted_not_how_many():
    runs = [checked_run("russia-2022", scale=1000, end="2022-12-31",
                        overrides={"recruitment.conscription.exempt_share": share}) for share in (0.0, 0.6)]
    drafted = [r.stream("recruits")["conscript"].sum() for r in runs]
    assert drafted[0] > 0 and drafted[0] == drafted[1]
    assert (runs[1].series["summoned_emigrants"] <= runs[1].series["emigrants"]).all()
