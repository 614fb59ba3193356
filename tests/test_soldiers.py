"""Soldiers' choices and discipline: every rule on its own, then the mechanisms in runs."""

from __future__ import annotations

import numpy as np
import pytest

import morale
from morale.engine import codes as C
from morale.kernels.choice import cascade_participation, expected_sanction, logit_probabilities, peer_pressure
from morale.processes import discipline
from morale.processes.morale import (
    R_CATCH,
    R_DETECT,
    R_SEV_FLEE,
    R_SEV_REFUSE,
    choice_utilities,
    mind_parameters,
    regime_table,
)
from tests.conftest import checked_run

BASE = dict(morale=0.5, cohesion=0.7, p_death=0.004, certainty=0.4, severity_refuse=0.15, severity_flee=0.15,
            fear=0.0, peer=0.0, stress=0.3, fire=0.0)


@pytest.fixture(scope="module")
def params():
    sim = morale.Simulation("russia-2022", scale=1000, end="2022-03-31")
    return mind_parameters(sim.ctx), regime_table(sim.ctx)


def probabilities(params, **changes):
    """Choice probabilities with the kernel's utilities; severities become g(severity) as in the kernel."""
    p, _ = params
    inputs = {**BASE, **changes}
    alpha = p[18]
    for name in ("severity_refuse", "severity_flee"):
        inputs[name] = expected_sanction(1.0, inputs[name], alpha)
    return logit_probabilities(np.array(choice_utilities(p, *inputs.values())))


def test_choice_probabilities_sum_to_one_and_are_positive(params):
    for changes in ({}, {"stress": 1.0, "fire": 1.0, "peer": 1.0}, {"morale": 1.0, "cohesion": 1.0}):
        p = probabilities(params, **changes)
        assert np.isclose(p.sum(), 1.0) and (p > 0).all()


@pytest.mark.parametrize(("name", "value", "option", "direction"), [
    ("morale", 0.9, C.ADVANCE, +1), ("cohesion", 1.0, C.ADVANCE, +1), ("p_death", 0.05, C.ADVANCE, -1),
    ("certainty", 0.9, C.REFUSE, -1), ("severity_refuse", 1.0, C.REFUSE, -1), ("severity_flee", 1.0, C.FLEE, -1),
    ("fear", 1.0, C.REFUSE, -1), ("peer", 1.0, C.REFUSE, +1), ("peer", 1.0, C.FLEE, +1),
    ("stress", 1.0, C.REFUSE, +1), ("fire", 1.0, C.FLEE, +1), ("fire", 1.0, C.SURRENDER, +1),
])
def test_each_input_moves_its_choice_the_right_way(params, name, value, option, direction):
    before = probabilities(params)[option]
    after = probabilities(params, **{name: value})[option]
    assert np.sign(after - before) == direction


def test_sanction_is_monotone_and_certainty_dominates():
    alpha = 0.3
    grid = np.linspace(0.05, 1.0, 20)
    assert np.all(np.diff([expected_sanction(c, 0.5, alpha) for c in grid]) > 0)
    assert np.all(np.diff([expected_sanction(0.5, s, alpha) for s in grid]) > 0)
    # doubling certainty doubles the expected sanction; doubling severity raises it by 2**alpha only
    assert expected_sanction(0.6, 0.4, alpha) / expected_sanction(0.3, 0.4, alpha) == pytest.approx(2.0)
    assert expected_sanction(0.3, 0.8, alpha) / expected_sanction(0.3, 0.4, alpha) == pytest.approx(2**alpha)


def test_expected_sanction_is_highest_under_lethal_discipline(params):
    """Certainty (the chance of being caught) x severity**alpha: lethal > punitive > legal, for both choices.
    (A caught fleer under blocking detachments is mostly sent back, so the severity alone is lower; being
    caught is what deters.)"""
    p, regimes = params
    alpha = p[18]
    for certainty, severity in ((R_DETECT, R_SEV_REFUSE), (R_CATCH, R_SEV_FLEE)):
        sanction = [expected_sanction(regimes[r, certainty], regimes[r, severity], alpha) for r in range(3)]
        assert sanction[C.LETHAL] > sanction[C.LEGAL] and sanction[C.PUNITIVE] > sanction[C.LEGAL]


def test_peer_pressure_is_a_threshold():
    assert peer_pressure(0.3, 0.25) == 1.0 and peer_pressure(0.2, 0.25) == 0.0 and peer_pressure(0.0, -0.1) == 1.0


def test_granovetter_transition_near_sigma_012():
    """Thresholds ~ N(0.25, sigma), 100 agents: participation jumps from a few per cent to nearly all as
    sigma crosses about 0.12 (Granovetter 1978); mean over 200 groups per sigma."""
    rng = np.random.default_rng(1978)

    def mean_participation(sigma):
        return np.mean([cascade_participation(rng.normal(0.25, sigma, 100)) for _ in range(200)])

    low, mid, high = mean_participation(0.06), mean_participation(0.12), mean_participation(0.2)
    assert low < 0.05 and high > 0.9
    assert low < mid < high


def _punish_everyone(choice: int, regime: int, cap_share: float = 1.0):
    """Make every front soldier of a small run choose `choice` under `regime`, then punish them once."""
    sim = morale.Simulation("russia-2022", scale=100, end="2022-03-31")
    sim.step()
    state = sim.state
    front = np.flatnonzero(state.soldiers[C.S_LOCATION, : state.n_soldiers] == C.FRONT)
    state.soldiers[C.S_CHOICE, front] = choice
    state.unit_regime[:] = regime
    state.unit_state[C.U_EXECUTIONS_WEEK, :] = 0
    state.reset_flows()
    serving = state.status_agents[C.SERVING]
    discipline._punish(state.army, state.people, state.n_soldiers, 1, sim.ctx.keys["discipline"],
                       regime_table(sim.ctx), cap_share, 8, 12, np.zeros(len(state.unit_stream)), state.flows)
    flows = {name: state.flows[C.FLOW[name]].sum() for name in C.FLOW_NAMES}
    assert state.status_agents[C.SERVING] == serving - flows["executions"]  # nobody lost
    assert (state.recount() == state.status_agents).all()
    return len(front), flows, sim


def test_lethal_regime_blocking_detachments_match_their_parameters():
    n, flows, sim = _punish_everyone(C.FLEE, C.LETHAL)
    lethal = sim.scenario.discipline.lethal
    stops = flows["blocking_stops"]
    assert stops == pytest.approx(n * lethal.catch_flight.value, rel=0.03)
    assert flows["blocking_shot"] / stops == pytest.approx(lethal.fleer_execute_share.value, abs=0.006)
    assert flows["penal_transfers"] / stops == pytest.approx(lethal.fleer_penal_share.value, abs=0.006)
    assert flows["blocking_returned"] / stops == pytest.approx(1 - 0.018 - 0.017 - 0.016, abs=0.01)
    assert flows["awol"] == n - stops  # fleers who got away are absent without leave


def test_legal_regime_never_executes_and_detains_its_share():
    n, flows, sim = _punish_everyone(C.REFUSE, C.LEGAL)
    legal = sim.scenario.discipline.legal
    assert flows["executions"] == 0 and flows["penal_transfers"] == 0
    expected = n * legal.detect_refusal.value * legal.refuser_detain_share.value
    assert flows["detentions"] == pytest.approx(expected, rel=0.08)


def test_punitive_regime_sends_men_to_penal_units():
    n, flows, sim = _punish_everyone(C.REFUSE, C.PUNITIVE)
    punitive = sim.scenario.discipline.punitive
    assert flows["executions"] == 0
    expected = n * punitive.detect_refusal.value * punitive.refuser_penal_share.value
    assert flows["penal_transfers"] == pytest.approx(expected, rel=0.08)


def test_execution_cap_binds():
    n, flows, _ = _punish_everyone(C.REFUSE, C.LETHAL, cap_share=0.0)
    units = len(np.unique(_punish_everyone(C.REFUSE, C.LETHAL)[2].state.soldiers[C.S_UNIT]))
    assert 0 < flows["executions"] <= units  # at most one a unit when the cap share is 0


def test_default_run_has_every_behaviour_and_conserves_people():
    run = checked_run("russia-2022", scale=50, end="2024-06-30")
    s = run.series
    for name in ("refusals", "flights", "surrenders", "awol", "desertions", "detentions", "penal_transfers",
                 "executions", "units_broken", "prosecuted", "lethal_adoptions"):
        assert s[name].sum() > 0, name
    for location in ("awol", "deserted", "detention"):
        assert s[f"soldiers_{location}"].max() > 0
    assert 0.2 < s["soldier_morale_mean"].mean() < 0.8
    # lethal units (the private company's convicts, drifted companies) stop fleers with blocking detachments;
    # storm units die fast, so the convicts' own executions are a handful of agents at this scale, maybe none
    assert s["blocking_stops"].sum() > 0 and run.stream("flights")["convict_pmc"].sum() > 0


def test_legal_discipline_scenario_has_no_executions():
    run = checked_run("russia-2022-legal-discipline", scale=100, end="2023-12-31")
    assert run.series["executions"].sum() == 0 and run.series["lethal_units"].max() == 0


def test_ussr_1942_blocking_detachment_shares():
    run = checked_run("ussr-1942", scale=100, end="1943-06-30")
    s = run.series
    stops = s["blocking_stops"].sum()
    assert 0.01 < s["blocking_shot"].sum() / stops < 0.03
    assert 0.92 < s["blocking_returned"].sum() / stops < 0.97
    assert s["penal_transfers"].sum() > 0 and s["recruits_contract"].sum() == 0


def test_regime_share_ranges_stay_consistent_when_drawn():
    """Uncertainty draws every share within its range: the upper ends together must still add to at most 1
    (a robust-validation run found punitive draws adding to 1.0002)."""
    scenario = morale.load_scenario("russia-2022")
    for regime in C.REGIME_NAMES:
        shares = getattr(scenario.discipline, regime)
        for who in ("refuser", "fleer"):
            params = [getattr(shares, f"{who}_{kind}_share") for kind in ("execute", "penal", "detain")]
            assert sum(p.range[1] if p.range else p.value for p in params) <= 1.0 + 1e-12, (regime, who)


def test_conscripts_as_needed_fill_the_demand_instead_of_all_going():
    """With conscripts_to_combat alone every trained conscript goes and the front overshoots its demand; with
    conscripts_as_needed they fill it like the other streams (a state that sends a share of its draft)."""
    every = checked_run("russia-2022-conscripts-abroad", scale=500, end="2023-06-30")
    needed = checked_run("russia-2022-conscripts-abroad", scale=500, end="2023-06-30",
                         overrides={"policy.conscripts_as_needed": True})
    excess = {name: (r.series["soldiers_front"] - r.series["front_demand"]).max()
              for name, r in (("every", every), ("needed", needed))}
    assert excess["every"] > 50_000 and excess["needed"] <= 0
    sent = {name: r.stream("soldiers_front")["conscript"].iloc[-1]
            for name, r in (("every", every), ("needed", needed))}
    assert 0 < sent["needed"] < sent["every"]
