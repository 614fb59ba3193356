"""Integer codes of the model's categorical states, shared by the NumPy arrays and the Numba kernels.

Every person is in exactly one `status`; a serving person has one soldier row, in exactly one `location`.
`UNBORN` marks rows reserved for men who turn 18 later in the horizon: they are not yet created and are not
counted anywhere (the conservation identity counts created persons only).
"""

STATUS_NAMES = ("civilians", "serving", "emigrated", "imprisoned", "jailed", "dead", "aged_out")
CIVILIAN, SERVING, EMIGRATED, IMPRISONED, JAILED, DEAD, AGED_OUT = range(7)
UNBORN = 7
N_STATUS = 8

LOCATION_NAMES = ("training", "rear", "front", "hospital", "captured")
TRAINING, REAR, FRONT, HOSPITAL, CAPTURED = range(5)
N_LOCATIONS = len(LOCATION_NAMES)
REMOVED = -1  # a soldier row whose person no longer serves

STREAM_NAMES = ("conscript", "contract", "coerced", "converted", "mobilised", "convict_pmc", "convict_ministry")
CONSCRIPT, CONTRACT, COERCED, CONVERTED, MOBILISED, CONVICT_PMC, CONVICT_MINISTRY = range(7)
N_STREAMS = len(STREAM_NAMES)

# Soldier table: one int32 row per field (structure of arrays in one block, so kernels take one argument).
SOLDIER_FIELDS = (
    "person", "stream", "location", "unit", "training_weeks", "training_needed",
    "weeks_at_front", "weeks_served", "contract_end", "hospital_until", "deceived",
)
(S_PERSON, S_STREAM, S_LOCATION, S_UNIT, S_TRAINING, S_TRAINING_NEEDED,
 S_FRONT_WEEKS, S_SERVED, S_CONTRACT_END, S_HOSPITAL_UNTIL, S_DECEIVED) = range(len(SOLDIER_FIELDS))
NO_END = -1  # contract_end of a soldier with no fixed end (stop-loss, mobilised)

# Weekly flow counters (agents), national and by stream.
FLOW_NAMES = (
    "entered", "ageing_out", "natural_deaths", "convicted", "prison_released", "recruits", "killed",
    "wounded", "captured", "returned_captives", "invalided", "discharged", "pardoned", "graduated",
    "deployed", "deceived",
)
FLOW = {name: i for i, name in enumerate(FLOW_NAMES)}
# The same as plain constants, because Numba kernels cannot read a dict global.
(F_ENTERED, F_AGEING_OUT, F_NATURAL_DEATHS, F_CONVICTED, F_PRISON_RELEASED, F_RECRUITS, F_KILLED, F_WOUNDED,
 F_CAPTURED, F_RETURNED_CAPTIVES, F_INVALIDED, F_DISCHARGED, F_PARDONED, F_GRADUATED, F_DEPLOYED,
 F_DECEIVED) = range(N_FLOWS := len(FLOW_NAMES))
REGION_FLOW_NAMES = ("recruits", "killed")
REGION_FLOW = {name: i for i, name in enumerate(REGION_FLOW_NAMES)}
RF_RECRUITS, RF_KILLED = range(len(REGION_FLOW_NAMES))
