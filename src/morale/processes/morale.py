"""Soldiers' morale and choices (M9): stress, fear, morale, cohesion; advance / refuse / flee / surrender.

Each week every front soldier, whatever his unit's posture, chooses by a multinomial logit:

    U_advance   = c_a + w_m morale + w_c cohesion - w_r p_death
    U_refuse    = c_r - w_s E_refuse - w_f fear + w_p peer + w_S stress
    U_flee      = c_f - w_s E_flee   - w_f fear + w_p peer + w_S stress + w_fire fire
    U_surrender = c_s + w_p peer + w_S stress + w_fire_s fire

E = perceived certainty x severity^alpha (kernels.choice.expected_sanction), peer = 1 when the share of his unit
that refused or fled last week is at least his fixed Granovetter threshold, fire = 1 when missiles or drones
struck his unit this week. Stress rises with weeks in contact and unit losses and falls with rest (Beebe &
Appel 1958); men in the rear go absent (AWOL) at a hazard that rises with stress and low morale; an absence
that lasts becomes desertion. Punishment is the next process (discipline).

Scale: a unit has round(100/scale) agents but at least 5, so above scale 20 a unit stands for more than 100
men and its refusal share moves in steps of 1/5; contagion is only meaningful at scale 20 or finer.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.rng import uniform
from morale.engine.state import State
from morale.kernels.choice import expected_sanction, normal_from_uniforms, peer_pressure
from morale.processes.combat import intensity, weekly_loss_by_stream

REGIME_CODE = {name: i for i, name in enumerate(C.REGIME_NAMES)}


def regime_table(ctx: Context) -> np.ndarray:
    """Per regime (rows legal, punitive, lethal): the parameters the kernels read, in a fixed column order.

    The severity a man weighs is the expected severity of what happens once he is caught: the regime's shares
    of execution, penal unit, detention and return, each with its severity (0-1, death = 1)."""
    d = ctx.params.discipline
    severity = {kind: getattr(d, f"severity_{kind}").value for kind in ("execution", "penal", "detention", "returned")}
    rows = []
    for name in C.REGIME_NAMES:
        r = getattr(d, name)
        expected = []
        for who in ("refuser", "fleer"):
            shares = [getattr(r, f"{who}_{kind}_share").value for kind in ("execute", "penal", "detain")]
            expected.append(shares[0] * severity["execution"] + shares[1] * severity["penal"]
                            + shares[2] * severity["detention"] + (1.0 - sum(shares)) * severity["returned"])
        rows.append([r.detect_refusal.value, r.catch_flight.value, r.refuser_execute_share.value,
                     r.refuser_penal_share.value, r.refuser_detain_share.value, r.fleer_execute_share.value,
                     r.fleer_penal_share.value, r.fleer_detain_share.value, *expected, r.prior_certainty.value])
    return np.array(rows)


(R_DETECT, R_CATCH, R_REF_EXEC, R_REF_PENAL, R_REF_DETAIN, R_FLEE_EXEC, R_FLEE_PENAL, R_FLEE_DETAIN,
 R_SEV_REFUSE, R_SEV_FLEE, R_PRIOR) = range(11)


@njit(cache=True)
def _initialise(army, first_row, n_soldiers, first_unit, n_units, morale_initial, cohesion_initial,
                stream_regime, regimes, threshold_mean, threshold_sd, key):
    """Draw the state of soldiers and units created since last week."""
    soldiers, unit_stream, mind, unit_state, unit_regime = army[0], army[2], army[6], army[7], army[8]
    for unit in range(first_unit, n_units):
        unit_regime[unit] = stream_regime[unit_stream[unit]]
        unit_state[:, unit] = 0.0
        unit_state[C.U_COHESION, unit] = cohesion_initial
        unit_state[C.U_REST_UNTIL, unit] = -1.0
    for row in range(first_row, n_soldiers):
        stream = soldiers[C.S_STREAM, row]
        mind[C.M_MORALE, row] = morale_initial[stream]
        mind[C.M_STRESS, row] = 0.0
        mind[C.M_FEAR, row] = 0.0
        mind[C.M_CERTAINTY, row] = regimes[unit_regime[soldiers[C.S_UNIT, row]], R_PRIOR]
        person = soldiers[C.S_PERSON, row]  # drawn per man, so rows moved by compaction do not matter
        z = normal_from_uniforms(uniform(key, 0, 7, person), uniform(key, 0, 8, person))
        mind[C.M_THRESHOLD, row] = threshold_mean + threshold_sd * z


@njit(cache=True)
def _unit_week(unit_state, unit_members, n_units, week, key, fire_p, cohesion_initial, cohesion_recovery,
               cohesion_loss, unit_agents):
    """Incoming fire and cohesion of each unit this week."""
    for unit in range(n_units):
        if unit_members[unit] <= 0:
            continue
        loss_share = unit_state[C.U_LOSSES_WEEK, unit] / unit_agents
        cohesion = unit_state[C.U_COHESION, unit]
        cohesion += cohesion_recovery * (cohesion_initial - cohesion) - cohesion_loss * loss_share
        unit_state[C.U_COHESION, unit] = min(max(cohesion, 0.0), 1.0)
        unit_state[C.U_INCOMING_FIRE, unit] = 1.0 if uniform(key, week, 30, unit) < fire_p else 0.0
        unit_state[C.U_DEFECTORS_WEEK, unit] = 0.0
        unit_state[C.U_EXECUTIONS_WEEK, unit] = 0.0
        unit_state[C.U_DETENTIONS_WEEK, unit] = 0.0
        unit_state[C.U_CAUGHT_WEEK, unit] = 0.0
        unit_state[C.U_MORALE_MEAN, unit] = 0.0
        unit_state[C.U_FRONT_MEMBERS, unit] = 0.0


@njit(cache=True)
def choice_utilities(p, morale, cohesion, p_death, certainty, sanction_refuse, sanction_flee, fear, peer, stress, fire):
    """The four utilities of the module docstring (advance, refuse, flee, surrender). `sanction_*` is the
    regime's severity already passed through g (expected_sanction(1, severity, alpha)), so that the expected
    sanction is certainty x g(severity)."""
    (c_adv, c_ref, c_flee, c_surr, w_m, w_c, w_r, w_stress, w_fear, w_fire_flee, w_fire_surr, w_s, _,
     w_peer) = p[6:20]
    advance = c_adv + w_m * morale + w_c * cohesion - w_r * p_death
    refuse = c_ref - w_s * certainty * sanction_refuse - w_fear * fear + w_peer * peer + w_stress * stress
    flee = (c_flee - w_s * certainty * sanction_flee - w_fear * fear + w_peer * peer + w_stress * stress
            + w_fire_flee * fire)
    surrender = c_surr + w_peer * peer + w_stress * stress + w_fire_surr * fire
    return advance, refuse, flee, surrender


@njit(cache=True)
def _pick(utilities, u):
    """Draw from the multinomial logit over `utilities` with one uniform."""
    top = max(max(utilities[0], utilities[1]), max(utilities[2], utilities[3]))
    w0 = math.exp(utilities[0] - top)
    w1 = math.exp(utilities[1] - top)
    w2 = math.exp(utilities[2] - top)
    w3 = math.exp(utilities[3] - top)
    x = u * (w0 + w1 + w2 + w3)
    if x < w0:
        return C.ADVANCE
    if x < w0 + w1:
        return C.REFUSE
    if x < w0 + w1 + w2:
        return C.FLEE
    return C.SURRENDER


NO_EVENT, EVENT_AWOL, EVENT_RETURNED, EVENT_DESERTED = -1, 10, 11, 12


@njit(cache=True, parallel=True)
def _decide(army, n_soldiers, week, key, p, morale_initial, p_death, sanctions, unit_agents, event):
    """Every soldier's mind and choice this week. Rows are independent (counter-based draws, reads of last
    week's unit state only), so this runs in parallel with identical results; the counting is `_tally`'s."""
    soldiers, mind, unit_state, unit_regime = army[0], army[6], army[7], army[8]
    recovery, loss_morale, stress_contact, stress_loss, rest_decay, fear_decay = p[:6]
    awol_h, awol_w, awol_return, desert_weeks = p[20:]
    for row in prange(n_soldiers):
        event[row] = NO_EVENT
        location = soldiers[C.S_LOCATION, row]
        if location == C.REMOVED:
            continue
        stream = soldiers[C.S_STREAM, row]
        unit = soldiers[C.S_UNIT, row]
        soldiers[C.S_CHOICE, row] = C.NO_CHOICE
        morale = mind[C.M_MORALE, row]
        stress = mind[C.M_STRESS, row]
        mind[C.M_FEAR, row] *= 1.0 - fear_decay
        if location == C.FRONT:
            loss_share = unit_state[C.U_LOSSES_WEEK, unit] / unit_agents
            stress += (stress_contact + stress_loss * loss_share) * (1.0 - stress)  # saturates at 1
            morale += recovery * (morale_initial[stream] - morale) - loss_morale * loss_share
        else:
            stress *= 1.0 - rest_decay
            morale += recovery * (morale_initial[stream] - morale)
        morale = min(max(morale, 0.0), 1.0)
        mind[C.M_MORALE, row] = morale
        mind[C.M_STRESS, row] = stress
        if location == C.FRONT:
            regime = unit_regime[unit]
            peer = peer_pressure(unit_state[C.U_DEFECT_SHARE, unit], mind[C.M_THRESHOLD, row])
            utilities = choice_utilities(p, morale, unit_state[C.U_COHESION, unit], p_death[stream],
                                         mind[C.M_CERTAINTY, row], sanctions[regime, 0], sanctions[regime, 1],
                                         mind[C.M_FEAR, row], peer, stress, unit_state[C.U_INCOMING_FIRE, unit])
            choice = _pick(utilities, uniform(key, week, 40, row))
            soldiers[C.S_CHOICE, row] = choice
            event[row] = choice
            if choice == C.SURRENDER:
                soldiers[C.S_LOCATION, row] = C.CAPTURED
        elif location == C.REAR:
            hazard = awol_h * math.exp(awol_w * (stress + 0.5 - morale))
            if uniform(key, week, 41, row) < hazard * (1.0 - 0.5 * hazard):  # 1 - exp(-h) to second order
                soldiers[C.S_LOCATION, row] = C.AWOL
                soldiers[C.S_AWAY_WEEKS, row] = 0
                event[row] = EVENT_AWOL
        elif location == C.AWOL:
            soldiers[C.S_AWAY_WEEKS, row] += 1
            if uniform(key, week, 42, row) < awol_return:
                soldiers[C.S_LOCATION, row] = C.REAR
                soldiers[C.S_AWAY_WEEKS, row] = 0
                event[row] = EVENT_RETURNED
            elif soldiers[C.S_AWAY_WEEKS, row] >= desert_weeks:
                soldiers[C.S_LOCATION, row] = C.DESERTED
                event[row] = EVENT_DESERTED


@njit(cache=True)
def _tally(army, n_soldiers, event, flows):
    """Count this week's choices into flows and unit state, in row order. Returns mean morale."""
    soldiers, mind, unit_state = army[0], army[6], army[7]
    total_morale = 0.0
    counted = 0
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] == C.REMOVED:
            continue
        stream = soldiers[C.S_STREAM, row]
        unit = soldiers[C.S_UNIT, row]
        total_morale += mind[C.M_MORALE, row]
        counted += 1
        what = event[row]
        if what >= C.ADVANCE and what <= C.SURRENDER:  # chose at the front
            unit_state[C.U_MORALE_MEAN, unit] += mind[C.M_MORALE, row]
            unit_state[C.U_FRONT_MEMBERS, unit] += 1.0
            if what == C.REFUSE:
                flows[C.F_REFUSALS, stream] += 1
                unit_state[C.U_DEFECTORS_WEEK, unit] += 1.0
            elif what == C.FLEE:
                flows[C.F_FLIGHTS, stream] += 1
                unit_state[C.U_DEFECTORS_WEEK, unit] += 1.0
            elif what == C.SURRENDER:
                flows[C.F_SURRENDERS, stream] += 1
        elif what == EVENT_AWOL:
            flows[C.F_AWOL, stream] += 1
        elif what == EVENT_RETURNED:
            flows[C.F_RETURNED_FROM_AWOL, stream] += 1
        elif what == EVENT_DESERTED:
            flows[C.F_DESERTIONS, stream] += 1
    return total_morale / max(counted, 1)


def mind_parameters(ctx: Context) -> tuple:
    """The mind block as the flat tuple the kernels read (order fixed here)."""
    m = ctx.params.mind
    names = ("morale_recovery", "morale_loss_per_loss_share", "stress_per_week_in_contact", "stress_per_loss_share",
             "stress_rest_decay", "fear_decay", "advance_constant", "refuse_constant", "flee_constant",
             "surrender_constant", "weight_morale", "weight_cohesion", "weight_risk", "weight_stress", "weight_fear",
             "weight_fire_flee", "weight_fire_surrender", "weight_sanction", "sanction_concavity", "weight_peer",
             "awol_weekly_hazard", "awol_stress_weight", "awol_return_weekly", "awol_desertion_weeks")
    return tuple(float(getattr(m, n).value) for n in names)


def perceived_death_risk(ctx: Context, week: int) -> np.ndarray:
    """Weekly probability of death of a trained soldier of each stream at the front (what advancing risks)."""
    c = ctx.params.combat
    killed_share = (1.0 - c.captured_share.value) / (1.0 + c.wounded_per_killed.value)
    return (1.0 - np.exp(-weekly_loss_by_stream(ctx, week))) * killed_share


def step(state: State, ctx: Context) -> None:
    p = ctx.params
    m = p.mind
    morale_initial = np.array(m.morale_initial.values())
    stream_regime = np.array([REGIME_CODE[getattr(p.discipline.regime, s)] for s in C.STREAM_NAMES], np.int8)
    regimes = regime_table(ctx)
    key = ctx.keys["morale"]
    n_units = int(state.n_units[0])
    _initialise(state.army, state.minds_set, state.n_soldiers, state.units_set, n_units, morale_initial,
                m.cohesion_initial.value, stream_regime, regimes, m.threshold_mean.value, m.threshold_sd.value, key)
    state.minds_set, state.units_set = state.n_soldiers, n_units
    shape = intensity(ctx, state.week) / max(p.combat.intensity.value, 1e-12)
    fire_p = min(1.0, m.fire_probability.value * shape)
    _unit_week(state.unit_state, state.unit_members, n_units, state.week, key, fire_p, m.cohesion_initial.value,
               m.cohesion_recovery.value, m.cohesion_loss_per_loss_share.value, float(ctx.unit_size))
    alpha = m.sanction_concavity.value
    sanctions = np.array([[expected_sanction(1.0, regimes[r, R_SEV_REFUSE], alpha),
                           expected_sanction(1.0, regimes[r, R_SEV_FLEE], alpha)] for r in range(len(regimes))])
    event = np.empty(state.n_soldiers, np.int8)
    _decide(state.army, state.n_soldiers, state.week, key, mind_parameters(ctx), morale_initial,
            perceived_death_risk(ctx, state.week), sanctions, float(ctx.unit_size), event)
    mean = _tally(state.army, state.n_soldiers, event, state.flows)
    state.recorded["soldier_morale_mean"] = mean
