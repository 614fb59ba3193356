"""Integer codes of the model's categorical states, shared by the NumPy arrays and the Numba kernels.

Every person is in exactly one `status`; a serving person has one soldier row, in exactly one `location`.
`UNBORN` marks rows reserved for men who turn 18 later in the horizon: they are not yet created and are not
counted anywhere (the conservation identity counts created persons only).
"""

STATUS_NAMES = ("civilians", "serving", "emigrated", "imprisoned", "jailed", "dead", "aged_out")
CIVILIAN, SERVING, EMIGRATED, IMPRISONED, JAILED, DEAD, AGED_OUT = range(7)
UNBORN = 7
N_STATUS = 8

LOCATION_NAMES = ("training", "rear", "front", "hospital", "captured", "awol", "deserted", "detention")
TRAINING, REAR, FRONT, HOSPITAL, CAPTURED, AWOL, DESERTED, DETENTION = range(8)
N_LOCATIONS = len(LOCATION_NAMES)
REMOVED = -1  # a soldier row whose person no longer serves

STREAM_NAMES = ("conscript", "contract", "coerced", "converted", "mobilised", "convict_pmc", "convict_ministry",
                "volunteer")
CONSCRIPT, CONTRACT, COERCED, CONVERTED, MOBILISED, CONVICT_PMC, CONVICT_MINISTRY, VOLUNTEER = range(8)
N_STREAMS = len(STREAM_NAMES)

# Soldier table: one int32 row per field (structure of arrays in one block, so kernels take one argument).
SOLDIER_FIELDS = (
    "person", "stream", "location", "unit", "training_weeks", "training_needed",
    "weeks_at_front", "weeks_served", "contract_end", "hospital_until", "deceived",
    "choice", "penal_until", "away_weeks", "detention_until",
)
(S_PERSON, S_STREAM, S_LOCATION, S_UNIT, S_TRAINING, S_TRAINING_NEEDED,
 S_FRONT_WEEKS, S_SERVED, S_CONTRACT_END, S_HOSPITAL_UNTIL, S_DECEIVED,
 S_CHOICE, S_PENAL_UNTIL, S_AWAY_WEEKS, S_DETENTION_UNTIL) = range(len(SOLDIER_FIELDS))
# A soldier's psychological state: one float64 row per field.
SOLDIER_MIND = ("morale", "stress", "fear", "certainty", "threshold")
M_MORALE, M_STRESS, M_FEAR, M_CERTAINTY, M_THRESHOLD = range(len(SOLDIER_MIND))
# This week's choice of a front soldier (multinomial logit, processes/morale.py).
CHOICE_NAMES = ("advance", "refuse", "flee", "surrender")
ADVANCE, REFUSE, FLEE, SURRENDER = range(4)
NO_CHOICE = -1

# Units (companies): float64 state, one row per field, and a discipline regime per unit.
UNIT_FIELDS = ("cohesion", "losses_week", "losses_since_rest", "defect_share", "defectors_week",
               "executions_week", "detentions_week", "morale_mean", "front_members", "rest_until",
               "incoming_fire", "refusals_recent", "caught_week")
(U_COHESION, U_LOSSES_WEEK, U_LOSSES_SINCE_REST, U_DEFECT_SHARE, U_DEFECTORS_WEEK, U_EXECUTIONS_WEEK,
 U_DETENTIONS_WEEK, U_MORALE_MEAN, U_FRONT_MEMBERS, U_REST_UNTIL, U_INCOMING_FIRE,
 U_REFUSALS_RECENT, U_CAUGHT_WEEK) = range(len(UNIT_FIELDS))
OPPOSITION_NAMES = ("quiet", "active", "violent")
QUIET, ACTIVE, VIOLENT = range(3)
# Lists of people kept by the society processes (one int64 row per field; rows are swap-removed).
ACTIVIST_FIELDS = ("person", "weeks_active")
A_PERSON, A_WEEKS = range(2)
JAIL_FIELDS = ("person", "release_week")
J_PERSON, J_RELEASE = range(2)
ABROAD_FIELDS = ("person", "left_week")
B_PERSON, B_LEFT = range(2)
LEAK_KINDS = ("deaths", "executions", "deceptions", "conscript_deaths", "unit_breaks")
LEAK_DEATHS, LEAK_EXECUTIONS, LEAK_DECEPTIONS, LEAK_CONSCRIPT_DEATHS, LEAK_UNIT_BREAKS = range(5)
REGIME_NAMES = ("legal", "punitive", "lethal")
LEGAL, PUNITIVE, LETHAL = range(3)
NO_END = -1  # contract_end of a soldier with no fixed end (stop-loss, mobilised)

# Weekly flow counters (agents), national and by stream.
FLOW_NAMES = (
    "entered", "ageing_out", "natural_deaths", "convicted", "prison_released", "recruits", "killed",
    "wounded", "captured", "returned_captives", "invalided", "discharged", "pardoned", "graduated",
    "deployed", "deceived",
    "refusals", "flights", "surrenders", "awol", "desertions", "detentions", "penal_transfers", "executions",
    "units_broken", "returned_from_awol", "prosecuted", "prosecuted_awol", "blocking_stops", "blocking_shot",
    "blocking_returned", "lethal_adoptions",
    "arrests", "criminal_arrests", "jail_released", "activations", "violent_turns", "emigrants", "returnees",
    "summoned", "summoned_emigrants",
)
FLOW = {name: i for i, name in enumerate(FLOW_NAMES)}
N_FLOWS = len(FLOW_NAMES)
# The same as plain constants F_<NAME>, because Numba kernels cannot read a dict global.
globals().update({f"F_{name.upper()}": i for i, name in enumerate(FLOW_NAMES)})
REGION_FLOW_NAMES = ("recruits", "killed", "emigrants", "arrests", "coerced_recruits", "signed")
REGION_FLOW = {name: i for i, name in enumerate(REGION_FLOW_NAMES)}
# "signed": contract-type sign-ups (contract, coerced, converted), who are paid a sign-up bonus
RF_RECRUITS, RF_KILLED, RF_EMIGRANTS, RF_ARRESTS, RF_COERCED_RECRUITS, RF_SIGNED = range(len(REGION_FLOW_NAMES))
# Streams of the Armed Forces, whom the authorised strength (decrees) counts: all but the private company's
# convicts
ARMED_FORCES = (CONSCRIPT, CONTRACT, COERCED, CONVERTED, MOBILISED, CONVICT_MINISTRY, VOLUNTEER)
